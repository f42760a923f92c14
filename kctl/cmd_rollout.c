/* cmd_rollout.c - `kctl rollout status|restart|undo|history|pause|resume` with kubectl's messages, and the readiness
 * checks that apply --wait shares. History and undo read a Deployment's ReplicaSets (controller-owned, revision in
 * the deployment.kubernetes.io/revision annotation) and a DaemonSet's or StatefulSet's ControllerRevisions, as
 * kubectl does. */
#include "kctl.h"
#include "kc_error.h"
#include "kc_json.h"
#include "kc_selector.h"
#include "kc_yaml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REVISION_ANN "deployment.kubernetes.io/revision"

static long long
num(const json_t *obj, const char *path, long long dflt)
{
    long long v;
    return kc_json_get_int(obj, path, &v) == 0 ? v : dflt;
}

/* The condition of the given type, or NULL. */
static const json_t *
condition(const json_t *obj, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(kc_json_get(obj, "status.conditions"), i, c)
    {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}

static bool
condition_true(const json_t *obj, const char *type)
{
    const char *s = json_string_value(json_object_get(condition(obj, type), "status"));
    return s && strcmp(s, "True") == 0;
}

int
kctl_rollout_status(const char *kind, const char *group, const json_t *obj, char *msg, size_t len)
{
    const char *name = kc_json_get_string(obj, "metadata.name");
    long long gen = num(obj, "metadata.generation", 0), og = num(obj, "status.observedGeneration", 0);
    if (!name)
        name = "";
    if (strcmp(group, "apps") == 0 && strcmp(kind, "Deployment") == 0) {
        if (gen > og) {
            snprintf(msg, len, "Waiting for deployment spec update to be observed...");
            return 0;
        }
        const char *reason = json_string_value(json_object_get(condition(obj, "Progressing"), "reason"));
        if (reason && strcmp(reason, "ProgressDeadlineExceeded") == 0) {
            snprintf(msg, len, "deployment \"%s\" exceeded its progress deadline", name);
            return KCTL_WAIT_FAILED;
        }
        long long want = num(obj, "spec.replicas", -1), upd = num(obj, "status.updatedReplicas", 0);
        long long have = num(obj, "status.replicas", 0), avail = num(obj, "status.availableReplicas", 0);
        if (want >= 0 && upd < want)
            snprintf(msg, len,
                     "Waiting for deployment \"%s\" rollout to finish: %lld out of %lld new replicas have "
                     "been updated...",
                     name, upd, want);
        else if (have > upd)
            snprintf(msg, len,
                     "Waiting for deployment \"%s\" rollout to finish: %lld old replicas are pending "
                     "termination...",
                     name, have - upd);
        else if (avail < upd)
            snprintf(msg, len,
                     "Waiting for deployment \"%s\" rollout to finish: %lld of %lld updated replicas are "
                     "available...",
                     name, avail, upd);
        else {
            snprintf(msg, len, "deployment \"%s\" successfully rolled out", name);
            return KCTL_WAIT_DONE;
        }
        return 0;
    }
    if (strcmp(group, "apps") == 0 && strcmp(kind, "DaemonSet") == 0) {
        const char *st = kc_json_get_string(obj, "spec.updateStrategy.type");
        if (st && strcmp(st, "RollingUpdate") != 0) {
            snprintf(msg, len, "rollout status is only available for RollingUpdate strategy type");
            return KCTL_WAIT_FAILED;
        }
        if (gen > og) {
            snprintf(msg, len, "Waiting for daemon set spec update to be observed...");
            return 0;
        }
        long long desired = num(obj, "status.desiredNumberScheduled", 0);
        long long upd = num(obj, "status.updatedNumberScheduled", 0), avail = num(obj, "status.numberAvailable", 0);
        if (upd < desired)
            snprintf(msg, len,
                     "Waiting for daemon set \"%s\" rollout to finish: %lld out of %lld new pods have been "
                     "updated...",
                     name, upd, desired);
        else if (avail < desired)
            snprintf(msg, len,
                     "Waiting for daemon set \"%s\" rollout to finish: %lld of %lld updated pods are "
                     "available...",
                     name, avail, desired);
        else {
            snprintf(msg, len, "daemon set \"%s\" successfully rolled out", name);
            return KCTL_WAIT_DONE;
        }
        return 0;
    }
    if (strcmp(group, "apps") == 0 && strcmp(kind, "StatefulSet") == 0) {
        const char *st = kc_json_get_string(obj, "spec.updateStrategy.type");
        if (st && strcmp(st, "RollingUpdate") != 0) {
            snprintf(msg, len, "rollout status is only available for RollingUpdate strategy type");
            return KCTL_WAIT_FAILED;
        }
        if (og == 0 || gen > og) {
            snprintf(msg, len, "Waiting for statefulset spec update to be observed...");
            return 0;
        }
        long long want = num(obj, "spec.replicas", -1), ready = num(obj, "status.readyReplicas", 0);
        long long upd = num(obj, "status.updatedReplicas", 0);
        if (want >= 0 && ready < want) {
            snprintf(msg, len, "Waiting for %lld pods to be ready...", want - ready);
            return 0;
        }
        if (kc_json_get(obj, "spec.updateStrategy.rollingUpdate")) {
            long long part = num(obj, "spec.updateStrategy.rollingUpdate.partition", -1);
            if (want >= 0 && part >= 0 && upd < want - part) {
                snprintf(msg, len,
                         "Waiting for partitioned roll out to finish: %lld out of %lld new pods have been "
                         "updated...",
                         upd, want - part);
                return 0;
            }
            snprintf(msg, len, "partitioned roll out complete: %lld new pods have been updated...", upd);
            return KCTL_WAIT_DONE;
        }
        const char *ur = kc_json_get_string(obj, "status.updateRevision");
        const char *cr = kc_json_get_string(obj, "status.currentRevision");
        if ((ur || cr) && (!ur || !cr || strcmp(ur, cr) != 0)) {
            snprintf(msg, len, "waiting for statefulset rolling update to complete %lld pods at revision %s...", upd,
                     ur ? ur : "");
            return 0;
        }
        snprintf(msg, len, "statefulset rolling update complete %lld pods at revision %s...",
                 num(obj, "status.currentReplicas", 0), cr ? cr : "");
        return KCTL_WAIT_DONE;
    }
    snprintf(msg, len, "no status viewer has been implemented for %s%s%s", kind, group[0] ? "." : "", group);
    return KC_ENOTFOUND;
}

int
kctl_ready_status(const char *kind, const char *group, const json_t *obj, char *msg, size_t len)
{
    const char *name = kc_json_get_string(obj, "metadata.name");
    if (!name)
        name = "";
    if (strcmp(group, "apps") == 0 &&
        (strcmp(kind, "Deployment") == 0 || strcmp(kind, "DaemonSet") == 0 || strcmp(kind, "StatefulSet") == 0))
        return kctl_rollout_status(kind, group, obj, msg, len);
    if (strcmp(group, "batch") == 0 && strcmp(kind, "Job") == 0) {
        if (condition_true(obj, "Complete")) {
            snprintf(msg, len, "job \"%s\" completed", name);
            return KCTL_WAIT_DONE;
        }
        if (condition_true(obj, "Failed")) {
            const char *why = json_string_value(json_object_get(condition(obj, "Failed"), "message"));
            snprintf(msg, len, "job \"%s\" failed%s%s", name, why ? ": " : "", why ? why : "");
            return KCTL_WAIT_FAILED;
        }
        snprintf(msg, len, "Waiting for job \"%s\" to complete: %lld of %lld succeeded...", name,
                 num(obj, "status.succeeded", 0), num(obj, "spec.completions", 1));
        return 0;
    }
    if (!group[0] && strcmp(kind, "Pod") == 0) {
        const char *phase = kc_json_get_string(obj, "status.phase");
        if (condition_true(obj, "Ready") || (phase && strcmp(phase, "Succeeded") == 0)) {
            snprintf(msg, len, "pod \"%s\" is ready", name);
            return KCTL_WAIT_DONE;
        }
        if (phase && strcmp(phase, "Failed") == 0) {
            const char *why = kc_json_get_string(obj, "status.message");
            snprintf(msg, len, "pod \"%s\" failed%s%s", name, why ? ": " : "", why ? why : "");
            return KCTL_WAIT_FAILED;
        }
        snprintf(msg, len, "Waiting for pod \"%s\" to be ready (phase %s)...", name, phase ? phase : "Pending");
        return 0;
    }
    snprintf(msg, len, "%s \"%s\" exists", kind, name);
    return KCTL_WAIT_DONE;
}

/* ------------------------------------------------------------------------------------------ the commands */

/* The one target of a rollout subcommand (TYPE NAME or TYPE/NAME, or -f). */
static int
one_target(struct kctl_client *c, struct kctl_targets *t)
{
    if (kctl_targets_collect(c, t, 0) != 0)
        return 1;
    if (t->n == 0) {
        fprintf(kctl_client_config(c)->err, "error: no objects passed to rollout\n");
        return 1;
    }
    return 0;
}

struct status_arg {
    struct kctl_config *cfg;
    const struct kctl_target *t;
    char last[1024];
};

/* Prints each new message on its own line, as kubectl prints the status of every watch event. */
static int
status_check(void *arg, const json_t *obj, char *msg, size_t len)
{
    struct status_arg *a = arg;
    if (!obj) {
        snprintf(msg, len, "%s \"%s\" not found", a->t->r.kind, a->t->name);
        return KCTL_WAIT_FAILED;
    }
    int v = kctl_rollout_status(a->t->r.kind, a->t->r.group, obj, msg, len);
    if (v == 0 || v == KCTL_WAIT_DONE) {
        if (strcmp(a->last, msg) != 0)
            fprintf(a->cfg->out, "%s\n", msg);
        fflush(a->cfg->out);
        snprintf(a->last, sizeof(a->last), "%s", msg);
    }
    return v == KC_ENOTFOUND ? KCTL_WAIT_FAILED : v;
}

int
kctl_cmd_rollout_status(struct kctl_config *cfg)
{
    long long timeout = -1;
    if (cfg->timeout && kctl_parse_duration(cfg->timeout, &timeout) != 0) {
        fprintf(cfg->err, "error: invalid argument \"%s\" for \"--timeout\" flag: time: invalid duration \"%s\"\n",
                cfg->timeout, cfg->timeout);
        return 1;
    }
    if (timeout == 0)
        timeout = -1;
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    struct kctl_targets t = { 0 };
    int rc = one_target(c, &t);
    for (size_t i = 0; rc == 0 && i < t.n; i++) {
        struct status_arg a = { .cfg = cfg, .t = &t.v[i] };
        char msg[1024];
        json_t *live;
        if (kctl_get_object(c, &t.v[i], &live) != 0) {
            rc = 1;
            break;
        }
        json_decref(live);
        if (kctl_rollout_status(t.v[i].r.kind, t.v[i].r.group, NULL, msg, sizeof(msg)) == KC_ENOTFOUND) {
            fprintf(cfg->err, "error: %s\n", msg);
            rc = 1;
            break;
        }
        int v = kctl_wait_object(c, &t.v[i], timeout, status_check, &a, 0, msg, sizeof(msg));
        if (v == KCTL_WAIT_TIMEOUT) {
            fprintf(cfg->err, "error: timed out waiting for the condition\n");
            rc = 1;
        } else if (v == KCTL_WAIT_FAILED) {
            fprintf(cfg->err, "error: %s\n", msg);
            rc = 1;
        } else if (v != KCTL_WAIT_DONE) {
            rc = 1;
        }
    }
    kctl_targets_close(&t);
    kctl_client_free(c);
    return rc;
}

static bool
restartable(const struct kctl_target *t)
{
    return strcmp(t->r.group, "apps") == 0 &&
           (strcmp(t->r.kind, "Deployment") == 0 || strcmp(t->r.kind, "DaemonSet") == 0 ||
            strcmp(t->r.kind, "StatefulSet") == 0);
}

int
kctl_cmd_rollout_restart(struct kctl_config *cfg)
{
    enum kctl_dry_run dry;
    if (kctl_dry_run_mode(cfg, &dry) != 0)
        return 1;
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    struct kctl_targets t = { 0 };
    int rc = one_target(c, &t);
    /* kubectl stamps the local time in RFC 3339 */
    char stamp[64];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S%z", &tm);
    size_t sl = strlen(stamp);
    if (sl > 5 && strcmp(stamp + sl - 5, "+0000") == 0)
        strcpy(stamp + sl - 5, "Z");
    else if (sl > 5) { /* +0100 → +01:00 */
        memmove(stamp + sl - 1, stamp + sl - 2, 3);
        stamp[sl - 2] = ':';
    }
    for (size_t i = 0; rc == 0 && i < t.n; i++) {
        char name[600], path[2048], q[512];
        kctl_target_name(&t.v[i], name, sizeof(name));
        if (!restartable(&t.v[i])) {
            fprintf(cfg->err, "error: %s %s\n", name, "restarting is not supported");
            rc = 1;
            break;
        }
        json_t *live;
        if (kctl_get_object(c, &t.v[i], &live) != 0) {
            rc = 1;
            break;
        }
        bool paused = json_is_true(kc_json_get(live, "spec.paused"));
        json_decref(live);
        if (paused) {
            fprintf(cfg->err, "error: can't restart paused %s (run rollout resume first)\n", t.v[i].r.singular);
            rc = 1;
            break;
        }
        json_t *patch = json_pack("{s:{s:{s:{s:{s:s}}}}}", "spec", "template", "metadata", "annotations",
                                  "kubectl.kubernetes.io/restartedAt", stamp);
        kctl_write_query(cfg, dry, "kubectl-rollout", false, q, sizeof(q));
        if (kctl_target_path(&t.v[i], NULL, path, sizeof(path)) != 0) {
            json_decref(patch);
            rc = 1;
            break;
        }
        strncat(path, q, sizeof(path) - strlen(path) - 1);
        if (dry != KCTL_DRY_CLIENT &&
            kctl_request_json(c, "PATCH", path, "application/strategic-merge-patch+json", patch, NULL) != 0)
            rc = 1;
        else
            fprintf(cfg->out, "%s restarted%s\n", name, kctl_dry_run_suffix(dry));
        json_decref(patch);
    }
    kctl_targets_close(&t);
    kctl_client_free(c);
    return rc;
}

/* The ReplicaSets a Deployment controls, with their revisions; *list holds them (caller frees). */
static int
owned_replicasets(struct kctl_client *c, const struct kctl_target *t, const json_t *deploy, json_t **out)
{
    struct kctl_resource rs;
    if (kctl_resolve(c, "replicasets.apps", &rs) != 0)
        return 1;
    char path[2048];
    if (kctl_resource_path(&rs, t->ns, NULL, NULL, path, sizeof(path)) != 0)
        return 1;
    json_t *list;
    if (kctl_request_json(c, "GET", path, NULL, NULL, &list) != 0)
        return 1;
    const char *uid = kc_json_get_string(deploy, "metadata.uid");
    json_t *mine = json_array();
    size_t i, j;
    json_t *item, *ref;
    json_array_foreach(json_object_get(list, "items"), i, item)
    {
        json_array_foreach(kc_json_get(item, "metadata.ownerReferences"), j, ref)
        {
            const char *ruid = json_string_value(json_object_get(ref, "uid"));
            if (json_is_true(json_object_get(ref, "controller")) && uid && ruid && strcmp(uid, ruid) == 0) {
                json_array_append(mine, item);
                break;
            }
        }
    }
    json_decref(list);
    *out = mine;
    return 0;
}

static long long
revision_of(const json_t *rs)
{
    const char *r = kc_json_get_string(rs, "metadata.annotations.deployment\\.kubernetes\\.io/revision");
    char *end;
    long long v = r ? strtoll(r, &end, 10) : -1;
    return r && *r && !*end ? v : -1;
}

static int
cmp_rev(const void *a, const void *b)
{
    long long x = revision_of(*(json_t *const *)a), y = revision_of(*(json_t *const *)b);
    return x < y ? -1 : x > y;
}

/* The deployment of a history/undo command, or an error for other kinds. */
static int
deployment_target(struct kctl_client *c, struct kctl_targets *t, json_t **deploy)
{
    struct kctl_config *cfg = kctl_client_config(c);
    if (one_target(c, t) != 0)
        return 1;
    const struct kctl_target *x = &t->v[0];
    if (strcmp(x->r.group, "apps") != 0 || strcmp(x->r.kind, "Deployment") != 0) {
        fprintf(cfg->err, "error: no history viewer has been implemented for %s%s%s\n", x->r.kind,
                x->r.group[0] ? "." : "", x->r.group);
        return 1;
    }
    return kctl_get_object(c, x, deploy);
}

/* The template with the pod-template-hash label gone (for comparing and restoring). */
static json_t *
template_without_hash(const json_t *tmpl)
{
    json_t *c = json_deep_copy(tmpl ? tmpl : json_object());
    json_t *labels = kc_json_get(c, "metadata.labels");
    if (json_is_object(labels)) {
        json_object_del(labels, "pod-template-hash");
        if (json_object_size(labels) == 0)
            json_object_del(json_object_get(c, "metadata"), "labels");
    }
    return c;
}

/* --- DaemonSet and StatefulSet history: ControllerRevisions ------------------------------------------------- */

static bool
revisioned(const struct kctl_target *t)
{
    return strcmp(t->r.group, "apps") == 0 &&
           (strcmp(t->r.kind, "DaemonSet") == 0 || strcmp(t->r.kind, "StatefulSet") == 0);
}

static long long
cr_revision(const json_t *cr)
{
    return (long long)json_integer_value(json_object_get(cr, "revision"));
}

static int
cmp_cr(const void *a, const void *b)
{
    long long x = cr_revision(*(json_t *const *)a), y = cr_revision(*(json_t *const *)b);
    return x < y ? -1 : x > y;
}

/* The DaemonSet or StatefulSet t (*obj) and the ControllerRevisions it controls, sorted by revision (*revs, an
 * array of borrowed pointers into *list). Without ControllerRevisions in discovery (k8c serves none) or when
 * listing them fails, kubectl's `unable to find history controlled by DaemonSet x: ...` is printed. Returns 0 or 1. */
static int
controlled_revisions(struct kctl_client *c, const struct kctl_target *t, json_t **obj, json_t **list, json_t ***revs,
                     size_t *n)
{
    struct kctl_config *cfg = kctl_client_config(c);
    *obj = *list = NULL;
    *revs = NULL;
    *n = 0;
    if (kctl_get_object(c, t, obj) != 0)
        return 1;
    /* discovery first: a server without the kind answers what kubectl's list gets from it */
    struct kctl_resource cr;
    FILE *saved = cfg->err;
    char *sink = NULL;
    size_t sinklen = 0;
    cfg->err = open_memstream(&sink, &sinklen);
    int found = cfg->err ? kctl_resolve(c, "controllerrevisions.apps", &cr) : 1;
    if (cfg->err)
        fclose(cfg->err);
    cfg->err = saved;
    free(sink);
    if (found != 0) {
        fprintf(cfg->err,
                "error: unable to find history controlled by %s %s: the server could not find the requested "
                "resource\n",
                t->r.kind, t->name);
        return 1;
    }
    struct kc_label_selector *ls = NULL;
    char *sel = NULL, esc[2048] = "", base[1024], path[4096];
    if (kc_label_selector_from_json(kc_json_get(*obj, "spec.selector"), &ls, NULL, 0) == 0)
        sel = kc_label_selector_string(ls);
    kc_label_selector_free(ls);
    if (sel)
        kctl_escape(sel, esc, sizeof(esc));
    free(sel);
    kctl_resource_path(&cr, t->ns, NULL, NULL, base, sizeof(base));
    snprintf(path, sizeof(path), "%s?labelSelector=%s", base, esc);
    struct kctl_response resp;
    if (kctl_request(c, "GET", path, NULL, NULL, 0, NULL, &resp) != 0)
        return 1;
    json_t *doc = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
    if (resp.status != 200) {
        const char *msg = json_string_value(json_object_get(doc, "message"));
        fprintf(cfg->err, "error: unable to find history controlled by %s %s: %s\n", t->r.kind, t->name,
                msg ? msg : "the server could not find the requested resource");
        json_decref(doc);
        kctl_response_free(&resp);
        return 1;
    }
    kctl_response_free(&resp);
    *list = doc;
    const char *uid = kc_json_get_string(*obj, "metadata.uid");
    size_t total = json_array_size(json_object_get(doc, "items"));
    *revs = calloc(total ? total : 1, sizeof(**revs));
    if (!*revs)
        return 1;
    size_t i, j;
    json_t *item, *ref;
    json_array_foreach(json_object_get(doc, "items"), i, item)
    {
        json_array_foreach(kc_json_get(item, "metadata.ownerReferences"), j, ref)
        {
            const char *ruid = json_string_value(json_object_get(ref, "uid"));
            if (json_is_true(json_object_get(ref, "controller")) && uid && ruid && strcmp(uid, ruid) == 0) {
                (*revs)[(*n)++] = item;
                break;
            }
        }
    }
    qsort(*revs, *n, sizeof(**revs), cmp_cr);
    return 0;
}

/* The pod template a revision restores: its data is {"spec":{"template":{..., "$patch":"replace"}}}. */
static json_t *
revision_template(const json_t *cr)
{
    json_t *tmpl = json_deep_copy(kc_json_get(cr, "data.spec.template"));
    if (!tmpl)
        tmpl = json_object();
    json_object_del(tmpl, "$patch");
    return tmpl;
}

/* The table (or the head of one revision's template) as kubectl's DaemonSet/StatefulSet history viewers print it. */
static void
print_history(struct kctl_config *cfg, const char *name, long long want, json_t **v, size_t k)
{
    if (want > 0) {
        fprintf(cfg->out, "%s with revision #%lld\nPod Template:\n", name, want);
        return;
    }
    size_t w = strlen("REVISION");
    char buf[32];
    for (size_t i = 0; i < k; i++) {
        size_t l = (size_t)snprintf(buf, sizeof(buf), "%lld", cr_revision(v[i]));
        if (l > w)
            w = l;
    }
    if (k == 0)
        fprintf(cfg->out, "%s \nNo rollout history found.\n", name);
    else
        fprintf(cfg->out, "%s \n%-*s  CHANGE-CAUSE\n", name, (int)w, "REVISION");
    for (size_t i = 0; i < k; i++) {
        const char *cause = kc_json_get_string(v[i], "metadata.annotations.kubernetes\\.io/change-cause");
        fprintf(cfg->out, "%-*lld  %s\n", (int)w, cr_revision(v[i]), cause && *cause ? cause : "<none>");
    }
    if (k)
        fputc('\n', cfg->out);
}

/* A template as indented YAML under "Pod Template:" (kubectl prints describe's layout there). */
static void
print_template_yaml(struct kctl_config *cfg, const json_t *tmpl)
{
    char *y = NULL;
    kc_yaml_dump(tmpl, KC_YAML_SORT_KEYS, &y);
    for (char *line = y, *nl; line && *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl)
            nl = line + strlen(line) - 1;
        fprintf(cfg->out, "  %.*s\n", (int)(nl - line), line);
    }
    fputc('\n', cfg->out);
    free(y);
}

static int
revisions_history(struct kctl_client *c, struct kctl_config *cfg, const struct kctl_target *t, long long want)
{
    json_t *obj, *list, **v;
    size_t k;
    int rc = controlled_revisions(c, t, &obj, &list, &v, &k);
    if (rc == 0) {
        char name[600];
        kctl_target_name(t, name, sizeof(name));
        if (want > 0) {
            json_t *found = NULL;
            for (size_t i = 0; i < k; i++)
                if (cr_revision(v[i]) == want)
                    found = v[i];
            if (!found) {
                fprintf(cfg->err, "error: unable to find the specified revision\n");
                rc = 1;
            } else {
                print_history(cfg, name, want, v, k);
                json_t *tmpl = revision_template(found);
                print_template_yaml(cfg, tmpl);
                json_decref(tmpl);
            }
        } else {
            print_history(cfg, name, 0, v, k);
        }
    }
    free(v);
    json_decref(list);
    json_decref(obj);
    return rc;
}

/* DaemonSetRollbacker / StatefulSetRollbacker: the revision (or the one before the latest) as a strategic merge
 * patch of its data, skipped when the current template already matches. */
static int
revisions_undo(struct kctl_client *c, struct kctl_config *cfg, const struct kctl_target *t, long long to,
               enum kctl_dry_run dry)
{
    json_t *obj, *list, **v;
    size_t k;
    int rc = controlled_revisions(c, t, &obj, &list, &v, &k);
    json_t *target = NULL;
    if (rc == 0) {
        if (to == 0 && k <= 1) {
            fprintf(cfg->err, "error: no last revision to roll back to\n");
            rc = 1;
        } else if (to == 0) {
            target = v[k - 2];
            to = cr_revision(target);
        } else {
            for (size_t i = 0; i < k; i++)
                if (cr_revision(v[i]) == to)
                    target = v[i];
            if (!target) {
                fprintf(cfg->err, "error: unable to find specified revision %lld in history\n", to);
                rc = 1;
            }
        }
    }
    if (rc == 0) {
        char name[600];
        kctl_target_name(t, name, sizeof(name));
        json_t *tmpl = revision_template(target);
        if (dry == KCTL_DRY_CLIENT) {
            fprintf(cfg->out, "%s will roll back to Pod Template:\n", name);
            print_template_yaml(cfg, tmpl);
        } else if (kc_json_equal(tmpl, kc_json_get(obj, "spec.template"))) {
            fprintf(cfg->out, "%s skipped rollback (current template already matches revision %lld)\n", name, to);
        } else {
            char path[2048], q[512];
            kctl_write_query(cfg, dry, NULL, false, q, sizeof(q));
            kctl_target_path(t, NULL, path, sizeof(path));
            strncat(path, q, sizeof(path) - strlen(path) - 1);
            char *body = kctl_json_go(json_object_get(target, "data"));
            struct kctl_response resp;
            if (!body || kctl_request(c, "PATCH", path, "application/strategic-merge-patch+json", body, strlen(body),
                                      NULL, &resp) != 0) {
                rc = 1;
            } else {
                if (resp.status < 200 || resp.status > 299) {
                    json_t *st = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
                    const char *msg = json_string_value(json_object_get(st, "message"));
                    fprintf(cfg->err, "error: failed restoring revision %lld: %s\n", to, msg ? msg : "error");
                    json_decref(st);
                    rc = 1;
                } else {
                    fprintf(cfg->out, "%s rolled back%s\n", name, kctl_dry_run_suffix(dry));
                }
                kctl_response_free(&resp);
            }
            free(body);
        }
        json_decref(tmpl);
    }
    free(v);
    json_decref(list);
    json_decref(obj);
    return rc;
}

int
kctl_cmd_rollout_history(struct kctl_config *cfg)
{
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    struct kctl_targets t = { 0 };
    json_t *deploy = NULL, *rss = NULL;
    if (one_target(c, &t) == 0 && revisioned(&t.v[0])) {
        long long want = cfg->revision ? strtoll(cfg->revision, NULL, 10) : 0;
        int rc = want < 0 ? (fprintf(cfg->err, "error: revision must be a positive integer: %s\n", cfg->revision), 1)
                          : revisions_history(c, cfg, &t.v[0], want);
        kctl_targets_close(&t);
        kctl_client_free(c);
        return rc;
    }
    kctl_targets_close(&t);
    t = (struct kctl_targets){ 0 };
    int rc = deployment_target(c, &t, &deploy);
    if (rc == 0)
        rc = owned_replicasets(c, &t.v[0], deploy, &rss);
    long long want = 0;
    if (rc == 0 && cfg->revision && (want = strtoll(cfg->revision, NULL, 10)) < 0) {
        fprintf(cfg->err, "error: revision must be a positive integer: %s\n", cfg->revision);
        rc = 1;
    }
    if (rc == 0) {
        size_t n = json_array_size(rss), k = 0;
        json_t **v = calloc(n ? n : 1, sizeof(*v));
        for (size_t i = 0; i < n; i++)
            if (revision_of(json_array_get(rss, i)) >= 0)
                v[k++] = json_array_get(rss, i);
        qsort(v, k, sizeof(*v), cmp_rev);
        char name[600];
        kctl_target_name(&t.v[0], name, sizeof(name));
        if (want > 0) {
            json_t *found = NULL;
            for (size_t i = 0; i < k; i++)
                if (revision_of(v[i]) == want)
                    found = v[i];
            if (!found) {
                fprintf(cfg->err, "error: unable to find the specified revision\n");
                rc = 1;
            } else {
                json_t *tmpl = template_without_hash(kc_json_get(found, "spec.template"));
                char *y = NULL;
                kc_yaml_dump(tmpl, KC_YAML_SORT_KEYS, &y);
                fprintf(cfg->out, "%s with revision #%lld\nPod Template:\n", name, want);
                for (char *line = y, *nl; line && *line; line = nl + 1) {
                    nl = strchr(line, '\n');
                    if (!nl)
                        nl = line + strlen(line) - 1;
                    fprintf(cfg->out, "  %.*s\n", (int)(nl - line), line);
                }
                fputc('\n', cfg->out);
                free(y);
                json_decref(tmpl);
            }
        } else {
            /* kubectl's tabwriter: minwidth 0, padding 2 */
            size_t w = strlen("REVISION");
            char buf[32];
            for (size_t i = 0; i < k; i++) {
                size_t l = (size_t)snprintf(buf, sizeof(buf), "%lld", revision_of(v[i]));
                if (l > w)
                    w = l;
            }
            if (k == 0)
                fprintf(cfg->out, "%s \nNo rollout history found.\n", name);
            else
                fprintf(cfg->out, "%s \n%-*s  CHANGE-CAUSE\n", name, (int)w, "REVISION");
            for (size_t i = 0; i < k; i++) {
                const char *cause = kc_json_get_string(v[i], "metadata.annotations.kubernetes\\.io/change-cause");
                fprintf(cfg->out, "%-*lld  %s\n", (int)w, revision_of(v[i]), cause && *cause ? cause : "<none>");
            }
            if (k)
                fputc('\n', cfg->out);
        }
        free(v);
    }
    json_decref(rss);
    json_decref(deploy);
    kctl_targets_close(&t);
    kctl_client_free(c);
    return rc;
}

static bool
skip_annotation(const char *k)
{
    static const char *const skip[] = { KCTL_LAST_APPLIED,
                                        REVISION_ANN,
                                        "deployment.kubernetes.io/revision-history",
                                        "deployment.kubernetes.io/desired-replicas",
                                        "deployment.kubernetes.io/max-replicas",
                                        "deprecated.deployment.rollback.to" };
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (strcmp(k, skip[i]) == 0)
            return true;
    return false;
}

int
kctl_cmd_rollout_undo(struct kctl_config *cfg)
{
    enum kctl_dry_run dry;
    if (kctl_dry_run_mode(cfg, &dry) != 0)
        return 1;
    long long to = 0;
    if (cfg->to_revision) {
        char *end;
        to = strtoll(cfg->to_revision, &end, 10);
        if (*end || to < 0) {
            fprintf(cfg->err,
                    "error: invalid argument \"%s\" for \"--to-revision\" flag: strconv.ParseInt: parsing "
                    "\"%s\": invalid syntax\n",
                    cfg->to_revision, cfg->to_revision);
            return 1;
        }
    }
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    struct kctl_targets t = { 0 };
    json_t *deploy = NULL, *rss = NULL;
    if (one_target(c, &t) == 0 && revisioned(&t.v[0])) {
        int rc = revisions_undo(c, cfg, &t.v[0], to, dry);
        kctl_targets_close(&t);
        kctl_client_free(c);
        return rc;
    }
    kctl_targets_close(&t);
    t = (struct kctl_targets){ 0 };
    int rc = deployment_target(c, &t, &deploy);
    if (rc == 0)
        rc = owned_replicasets(c, &t.v[0], deploy, &rss);
    if (rc == 0 && json_is_true(kc_json_get(deploy, "spec.paused"))) {
        fprintf(cfg->err,
                "error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout "
                "resume deployment/%s' and try again\n",
                t.v[0].name);
        rc = 1;
    }
    json_t *target = NULL;
    if (rc == 0) {
        long long latest = -1, prev = -1;
        json_t *latest_rs = NULL, *prev_rs = NULL;
        size_t i;
        json_t *rs;
        json_array_foreach(rss, i, rs)
        {
            long long v = revision_of(rs);
            if (v < 0)
                continue;
            if (to == 0) {
                if (latest < v) {
                    prev = latest, prev_rs = latest_rs;
                    latest = v, latest_rs = rs;
                } else if (prev < v) {
                    prev = v, prev_rs = rs;
                }
            } else if (v == to) {
                target = rs;
                break;
            }
        }
        if (to == 0)
            target = prev_rs;
        if (!target && to > 0) {
            fprintf(cfg->err, "error: unable to find specified revision %lld in history\n", to);
            rc = 1;
        } else if (!target) {
            fprintf(cfg->err, "error: no rollout history found for deployment \"%s\"\n", t.v[0].name);
            rc = 1;
        } else if (to == 0) {
            to = prev;
        }
    }
    if (rc == 0) {
        char name[600];
        kctl_target_name(&t.v[0], name, sizeof(name));
        json_t *tmpl = template_without_hash(kc_json_get(target, "spec.template"));
        json_t *cur = template_without_hash(kc_json_get(deploy, "spec.template"));
        if (kc_json_equal(tmpl, cur)) {
            fprintf(cfg->out, "%s skipped rollback (current template already matches revision %lld)\n", name, to);
        } else {
            json_t *ann = json_object();
            const char *k;
            json_t *v;
            json_object_foreach(kc_json_get(deploy, "metadata.annotations"), k, v)
            {
                if (skip_annotation(k))
                    json_object_set(ann, k, v);
            }
            json_object_foreach(kc_json_get(target, "metadata.annotations"), k, v)
            {
                if (!skip_annotation(k))
                    json_object_set(ann, k, v);
            }
            json_t *ops = json_pack("[{s:s, s:s, s:O}, {s:s, s:s, s:o}]", "op", "replace", "path", "/spec/template",
                                    "value", tmpl, "op", "replace", "path", "/metadata/annotations", "value", ann);
            char path[2048], q[512];
            kctl_write_query(cfg, dry, "kubectl-rollout", false, q, sizeof(q));
            kctl_target_path(&t.v[0], NULL, path, sizeof(path));
            strncat(path, q, sizeof(path) - strlen(path) - 1);
            if (dry != KCTL_DRY_CLIENT &&
                kctl_request_json(c, "PATCH", path, "application/json-patch+json", ops, NULL) != 0)
                rc = 1;
            else
                fprintf(cfg->out, "%s rolled back%s\n", name, kctl_dry_run_suffix(dry));
            json_decref(ops);
        }
        json_decref(tmpl);
        json_decref(cur);
    }
    json_decref(rss);
    json_decref(deploy);
    kctl_targets_close(&t);
    kctl_client_free(c);
    return rc;
}

/* --- pause, resume ------------------------------------------------------------------------------------------ */

/* kubectl's Pauser/Resumer: a Deployment's spec.paused set (or cleared) by a strategic merge patch; an object
 * already in that state and kinds without pausing are errors (`deployments.apps "web" is already paused`,
 * `daemonsets.apps "x" pausing is not supported`). Every target is tried. */
static int
pause_resume(struct kctl_config *cfg, bool pause)
{
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    struct kctl_targets t = { 0 };
    int rc = 0;
    if (cfg->nargs == 0 && cfg->filenames.n == 0) {
        fprintf(cfg->err, "error: required resource not specified\n");
        rc = 1;
    } else {
        rc = one_target(c, &t);
    }
    bool name_only = cfg->output && strcmp(cfg->output, "name") == 0;
    for (size_t i = 0; i < t.n; i++) {
        const struct kctl_target *x = &t.v[i];
        char gr[256], name[600], path[2048], q[512];
        kctl_resource_gr(&x->r, gr, sizeof(gr));
        kctl_target_name(x, name, sizeof(name));
        json_t *live;
        if (kctl_get_object(c, x, &live) != 0) {
            rc = 1;
            continue;
        }
        bool deployment = strcmp(x->r.group, "apps") == 0 && strcmp(x->r.kind, "Deployment") == 0;
        bool paused = json_is_true(kc_json_get(live, "spec.paused"));
        json_decref(live);
        if (!deployment) {
            fprintf(cfg->err, "error: %s \"%s\" %s is not supported\n", gr, x->name, pause ? "pausing" : "resuming");
            rc = 1;
            continue;
        }
        if (paused == pause) {
            fprintf(cfg->err, "error: %s \"%s\" is %s\n", gr, x->name, pause ? "already paused" : "not paused");
            rc = 1;
            continue;
        }
        json_t *patch = json_pack("{s:{s:b}}", "spec", "paused", pause);
        if (!pause) /* the two-way patch of paused: true -> false drops the field */
            json_object_set_new(json_object_get(patch, "spec"), "paused", json_null());
        kctl_write_query(cfg, KCTL_DRY_NONE, "kubectl-rollout", false, q, sizeof(q));
        if (kctl_target_path(x, NULL, path, sizeof(path)) != 0) {
            json_decref(patch);
            rc = 1;
            continue;
        }
        strncat(path, q, sizeof(path) - strlen(path) - 1);
        if (kctl_request_json(c, "PATCH", path, "application/strategic-merge-patch+json", patch, NULL) != 0)
            rc = 1;
        else if (name_only)
            fprintf(cfg->out, "%s\n", name);
        else
            fprintf(cfg->out, "%s %s\n", name, pause ? "paused" : "resumed");
        json_decref(patch);
    }
    kctl_targets_close(&t);
    kctl_client_free(c);
    return rc;
}

int
kctl_cmd_rollout_pause(struct kctl_config *cfg)
{
    return pause_resume(cfg, true);
}

int
kctl_cmd_rollout_resume(struct kctl_config *cfg)
{
    return pause_resume(cfg, false);
}
