/* print_describe.c - kubectl describe's layouts (k8s.io/kubectl/pkg/describe) over JSON objects: the prefix writer
 * with its two-space levels on Go's text/tabwriter (min width 0, padding 2), the multi-line label, annotation,
 * taint and toleration blocks, containers, volumes, pod templates, events, and one describer per kind, plus the
 * generic one for kinds without their own. Pure: the caller fetches the related objects. */
#include "kctl.h"
#include "kctl_print.h"
#include "kc_crypto.h"
#include "kc_fault.h"
#include "kc_quantity.h"
#include "kc_sb.h"
#include "kc_selector.h"
#include "kc_time.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ANNOTATION_LEN 140

struct d {
    struct kctl_tabwriter *tw;
    const struct kctl_describe_ctx *ctx;
    const json_t *secrets; /* service account: the namespace's Secrets, NULL when they could not be listed */
};

static void wr(struct d *d, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* PrefixWriter.Write: two spaces per level, then the text (ESC shown as ^[ as printers.WriteEscaped does). */
static void
wr(struct d *d, int level, const char *fmt, ...)
{
    for (int i = 0; i < level; i++)
        kctl_tabwriter_write(d->tw, "  ", 2);
    va_list ap;
    char *s;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    for (char *p = s; *p; p++)
        if (*p == '\x1b')
            kctl_tabwriter_write(d->tw, "^[", 2);
        else
            kctl_tabwriter_write(d->tw, p, 1);
    free(s);
}

/* --- JSON access ----------------------------------------------------------------------------------------- */

static const json_t *
get(const json_t *o, const char *path)
{
    char key[128];
    const char *p = path;
    while (o && *p) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof(key), "%.*s", (int)n, p);
        o = json_object_get(o, key);
        p += n;
        if (*p == '.')
            p++;
    }
    return o;
}

static const char *
str(const json_t *o, const char *path)
{
    const char *s = json_string_value(get(o, path));
    return s ? s : "";
}

static long long
num(const json_t *o, const char *path)
{
    return (long long)json_integer_value(get(o, path));
}

static bool
has(const json_t *o, const char *path)
{
    const json_t *v = get(o, path);
    return v && !json_is_null(v);
}

/* A string member by its exact key (keys of data maps hold dots). */
static const char *
key_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The decoded length of a base64 value. */
static size_t
b64_len(const char *b64)
{
    size_t l = strlen(b64);
    size_t pad = l >= 2 && b64[l - 1] == '=' ? (b64[l - 2] == '=' ? 2 : 1) : 0;
    return l / 4 * 3 - pad;
}

/* Go's %v of a JSON value as a string (caller frees). */
static char *
sprint(const json_t *v)
{
    char *s = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&s, &n);
    if (!m)
        return NULL;
    kctl_go_sprint(v, m);
    fclose(m);
    return s;
}

/* Quantity.String() of a JSON quantity ("500Mi", 1, "0.5" -> "500m"). */
static void
quantity(const json_t *v, char *buf, size_t len)
{
    struct kc_quantity q;
    char tmp[KC_QUANTITY_STRLEN];
    if (v && kc_quantity_from_json(v, &q, NULL, 0) == 0)
        snprintf(buf, len, "%s", kc_quantity_string(&q, tmp));
    else
        snprintf(buf, len, "0");
}

/* time.Format(time.RFC1123Z) of an RFC 3339 time, in the local zone as metav1.Time decodes it. */
static void
rfc1123z(const char *ts, char *buf, size_t len)
{
    struct kc_time t;
    if (!ts || kc_time_parse(ts, &t) != 0) {
        /* the zero time, as Go prints it */
        snprintf(buf, len, "Mon, 01 Jan 0001 00:00:00 +0000");
        return;
    }
    time_t tt = (time_t)t.sec;
    struct tm tm;
    localtime_r(&tt, &tm);
    strftime(buf, len, "%a, %d %b %Y %H:%M:%S %z", &tm);
}

static int
cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char **
sorted_keys(const json_t *o, size_t *n)
{
    *n = json_object_size(o);
    const char **keys = kc_calloc(*n ? *n : 1, sizeof(*keys));
    if (!keys) {
        *n = 0;
        return NULL;
    }
    size_t k = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v) keys[k++] = key;
    qsort(keys, k, sizeof(*keys), cmp_keys);
    return keys;
}

/* --- the shared blocks --------------------------------------------------------------------------------------- */

/* printLabelsMultilineWithIndent */
static void
labels_multiline(struct d *d, const char *indent, const char *title, const json_t *labels)
{
    wr(d, 0, "%s%s:\t", indent, title);
    size_t n;
    const char **keys = json_object_size(labels) ? sorted_keys(labels, &n) : NULL;
    if (!keys) {
        wr(d, 0, "<none>\n");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (i)
            wr(d, 0, "%s\t", indent);
        char *v = json_is_string(json_object_get(labels, keys[i])) ? NULL : sprint(json_object_get(labels, keys[i]));
        wr(d, 0, "%s=%s\n", keys[i], v ? v : json_string_value(json_object_get(labels, keys[i])));
        free(v);
    }
    free(keys);
}

/* printAnnotationsMultiline: last-applied-configuration skipped, long or multi-line values on their own lines. */
static void
annotations_multiline(struct d *d, const char *title, const json_t *ann)
{
    wr(d, 0, "%s:\t", title);
    size_t n = 0, shown = 0;
    const char **keys = json_object_size(ann) ? sorted_keys(ann, &n) : NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i], "kubectl.kubernetes.io/last-applied-configuration") != 0)
            keys[shown++] = keys[i];
    if (shown == 0) {
        wr(d, 0, "<none>\n");
        free(keys);
        return;
    }
    for (size_t i = 0; i < shown; i++) {
        if (i)
            wr(d, 0, "\t");
        const char *raw = json_string_value(json_object_get(ann, keys[i]));
        char *value = kc_strdup(raw ? raw : "");
        size_t vl = value ? strlen(value) : 0;
        if (vl && value[vl - 1] == '\n')
            value[--vl] = '\0';
        if (value && (vl + strlen(keys[i]) + 2 > MAX_ANNOTATION_LEN || strchr(value, '\n'))) {
            wr(d, 0, "%s:\n", keys[i]);
            for (char *line = value, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                    *next++ = '\0';
                if (strlen(line) > MAX_ANNOTATION_LEN - 2)
                    wr(d, 0, "\t  %.*s...\n", MAX_ANNOTATION_LEN - 2, line);
                else
                    wr(d, 0, "\t  %s\n", line);
            }
        } else {
            wr(d, 0, "%s: %s\n", keys[i], value ? value : "");
        }
        free(value);
    }
    free(keys);
}

static int
cmp_by_key(const void *a, const void *b)
{
    const json_t *const *x = a, *const *y = b;
    return strcmp(str(*x, "key"), str(*y, "key"));
}

static void
tolerations_multiline(struct d *d, const char *indent, const char *title, const json_t *tols)
{
    wr(d, 0, "%s%s:\t", indent, title);
    size_t n = json_array_size(tols);
    if (n == 0) {
        wr(d, 0, "<none>\n");
        return;
    }
    const json_t **v = kc_calloc(n, sizeof(*v));
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(tols, i);
    qsort(v, n, sizeof(*v), cmp_by_key);
    for (size_t i = 0; i < n; i++) {
        const json_t *t = v[i];
        if (i)
            wr(d, 0, "%s\t", indent);
        wr(d, 0, "%s", str(t, "key"));
        if (*str(t, "value"))
            wr(d, 0, "=%s", str(t, "value"));
        if (*str(t, "effect"))
            wr(d, 0, ":%s", str(t, "effect"));
        if (strcmp(str(t, "operator"), "Exists") == 0 && !*str(t, "value"))
            wr(d, 0, (*str(t, "key") || *str(t, "effect")) ? " op=Exists" : "op=Exists");
        if (has(t, "tolerationSeconds"))
            wr(d, 0, " for %llds", num(t, "tolerationSeconds"));
        wr(d, 0, "\n");
    }
    free(v);
}

static int
cmp_taint(const void *a, const void *b)
{
    const json_t *const *x = a, *const *y = b;
    char ka[512], kb[512];
    snprintf(ka, sizeof(ka), "%s,%s", str(*x, "effect"), str(*x, "key"));
    snprintf(kb, sizeof(kb), "%s,%s", str(*y, "effect"), str(*y, "key"));
    return strcmp(ka, kb);
}

static void
taints_multiline(struct d *d, const char *title, const json_t *taints)
{
    wr(d, 0, "%s:\t", title);
    size_t n = json_array_size(taints);
    if (n == 0) {
        wr(d, 0, "<none>\n");
        return;
    }
    const json_t **v = kc_calloc(n, sizeof(*v));
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(taints, i);
    qsort(v, n, sizeof(*v), cmp_taint);
    for (size_t i = 0; i < n; i++) {
        if (i)
            wr(d, 0, "\t");
        /* Taint.ToString */
        if (*str(v[i], "value"))
            wr(d, 0, "%s=%s:%s\n", str(v[i], "key"), str(v[i], "value"), str(v[i], "effect"));
        else
            wr(d, 0, "%s:%s\n", str(v[i], "key"), str(v[i], "effect"));
    }
    free(v);
}

/* metav1.FormatLabelSelector / LabelSelectorAsSelector's String(). */
static char *
selector_string(const json_t *sel, bool as_selector)
{
    if (!sel || json_is_null(sel))
        return kc_strdup(as_selector ? "" : "<none>");
    struct kc_label_selector *ls;
    if (kc_label_selector_from_json(sel, &ls, NULL, 0) != 0)
        return kc_strdup("<error>");
    char *s = kc_label_selector_string(ls);
    kc_label_selector_free(ls);
    if (s && !*s && !as_selector) {
        free(s);
        return kc_strdup("<none>");
    }
    return s;
}

/* --- containers ---------------------------------------------------------------------------------------------- */

static void
ports_string(const json_t *ports, const char *field, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    size_t i;
    const json_t *p;
    json_array_foreach(ports, i, p)
    {
        const char *proto = *str(p, "protocol") ? str(p, "protocol") : "";
        int n = snprintf(buf + o, len - o, "%s%lld/%s", i ? ", " : "", num(p, field), proto);
        if (n < 0 || (size_t)n >= len - o)
            return;
        o += (size_t)n;
    }
}

static void
resources(struct d *d, const json_t *res, int level)
{
    static const char *const kinds[] = { "limits", "Limits", "requests", "Requests" };
    for (int k = 0; k < 4; k += 2) {
        const json_t *list = json_object_get(res, kinds[k]);
        size_t n;
        const char **keys = json_object_size(list) ? sorted_keys(list, &n) : NULL;
        if (!keys)
            continue;
        wr(d, level, "%s:\n", kinds[k + 1]);
        for (size_t i = 0; i < n; i++) {
            char q[64];
            quantity(json_object_get(list, keys[i]), q, sizeof(q));
            wr(d, level + 1, "%s:\t%s\n", keys[i], q);
        }
        free(keys);
    }
}

static void
container_state(struct d *d, const char *name, const json_t *state)
{
    char t[64];
    if (has(state, "running")) {
        wr(d, 2, "%s:\tRunning\n", name);
        rfc1123z(str(state, "running.startedAt"), t, sizeof(t));
        wr(d, 3, "Started:\t%s\n", t);
    } else if (has(state, "waiting")) {
        wr(d, 2, "%s:\tWaiting\n", name);
        if (*str(state, "waiting.reason"))
            wr(d, 3, "Reason:\t%s\n", str(state, "waiting.reason"));
    } else if (has(state, "terminated")) {
        const json_t *tm = get(state, "terminated");
        wr(d, 2, "%s:\tTerminated\n", name);
        if (*str(tm, "reason"))
            wr(d, 3, "Reason:\t%s\n", str(tm, "reason"));
        if (*str(tm, "message"))
            wr(d, 3, "Message:\t%s\n", str(tm, "message"));
        wr(d, 3, "Exit Code:\t%lld\n", num(tm, "exitCode"));
        if (num(tm, "signal") > 0)
            wr(d, 3, "Signal:\t%lld\n", num(tm, "signal"));
        rfc1123z(json_string_value(json_object_get(tm, "startedAt")), t, sizeof(t));
        wr(d, 3, "Started:\t%s\n", t);
        rfc1123z(json_string_value(json_object_get(tm, "finishedAt")), t, sizeof(t));
        wr(d, 3, "Finished:\t%s\n", t);
    } else {
        wr(d, 2, "%s:\tWaiting\n", name);
    }
}

/* An IntOrString as its String(). */
static char *
int_or_string(const json_t *v)
{
    if (json_is_integer(v)) {
        char *s;
        if (asprintf(&s, "%lld", (long long)json_integer_value(v)) < 0)
            return NULL;
        return s;
    }
    return kc_strdup(json_string_value(v) ? json_string_value(v) : "");
}

static void
probe(struct d *d, const char *title, const json_t *p)
{
    char attrs[256];
    snprintf(attrs, sizeof(attrs), "delay=%llds timeout=%llds period=%llds #success=%lld #failure=%lld",
             num(p, "initialDelaySeconds"), num(p, "timeoutSeconds"), num(p, "periodSeconds"),
             num(p, "successThreshold"), num(p, "failureThreshold"));
    if (has(p, "exec")) {
        char *cmd = sprint(get(p, "exec.command"));
        wr(d, 2, "%s:\texec %s %s\n", title, cmd && strcmp(cmd, "<nil>") ? cmd : "[]", attrs);
        free(cmd);
    } else if (has(p, "httpGet")) {
        const json_t *h = get(p, "httpGet");
        char *port = int_or_string(json_object_get(h, "port"));
        char scheme[16];
        snprintf(scheme, sizeof(scheme), "%s", str(h, "scheme"));
        for (char *c = scheme; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        const char *host = str(h, "host");
        bool v6 = strchr(host, ':') != NULL;
        wr(d, 2, "%s:\thttp-get %s%s%s%s%s%s%s%s %s\n", title, scheme, scheme[0] ? "://" : "//", v6 ? "[" : "", host,
           v6 ? "]" : "", port && *port ? ":" : "", port ? port : "", str(h, "path"), attrs);
        free(port);
    } else if (has(p, "tcpSocket")) {
        char *port = int_or_string(get(p, "tcpSocket.port"));
        wr(d, 2, "%s:\ttcp-socket %s:%s %s\n", title, str(p, "tcpSocket.host"), port ? port : "", attrs);
        free(port);
    } else if (has(p, "grpc")) {
        wr(d, 2, "%s:\tgrpc <pod>:%lld %s %s\n", title, num(p, "grpc.port"), str(p, "grpc.service"), attrs);
    } else {
        wr(d, 2, "%s:\tunknown %s\n", title, attrs);
    }
}

static int
cmp_mount(const void *a, const void *b)
{
    const json_t *const *x = a, *const *y = b;
    return strcmp(str(*x, "mountPath"), str(*y, "mountPath"));
}

static void
container_env(struct d *d, const json_t *c)
{
    const json_t *from = json_object_get(c, "envFrom");
    if (json_array_size(from) > 0) {
        wr(d, 2, "Environment Variables from:\n");
        size_t i;
        const json_t *e;
        json_array_foreach(from, i, e)
        {
            const char *kind = has(e, "configMapRef") ? "ConfigMap" : has(e, "secretRef") ? "Secret" : "";
            const json_t *ref = has(e, "configMapRef") ? get(e, "configMapRef") : get(e, "secretRef");
            bool optional = json_is_true(json_object_get(ref, "optional"));
            if (!*str(e, "prefix"))
                wr(d, 3, "%s\t%s\tOptional: %s\n", str(ref, "name"), kind, optional ? "true" : "false");
            else
                wr(d, 3, "%s\t%s with prefix '%s'\tOptional: %s\n", str(ref, "name"), kind, str(e, "prefix"),
                   optional ? "true" : "false");
        }
    }
    const json_t *env = json_object_get(c, "env");
    wr(d, 2, "Environment:%s\n", json_array_size(env) ? "" : "\t<none>");
    size_t i;
    const json_t *e;
    json_array_foreach(env, i, e)
    {
        const json_t *vf = json_object_get(e, "valueFrom");
        if (!vf || json_is_null(vf)) {
            char *v = kc_strdup(str(e, "value"));
            int k = 0;
            for (char *line = v, *next; line; line = next, k++) {
                next = strchr(line, '\n');
                if (next)
                    *next++ = '\0';
                if (k == 0)
                    wr(d, 3, "%s:\t%s\n", str(e, "name"), line);
                else
                    wr(d, 3, "\t%s\n", line);
            }
            free(v);
        } else if (has(vf, "fieldRef")) {
            wr(d, 3, "%s:\t (%s:%s)\n", str(e, "name"), str(vf, "fieldRef.apiVersion"), str(vf, "fieldRef.fieldPath"));
        } else if (has(vf, "resourceFieldRef")) {
            wr(d, 3, "%s:\t (%s)\n", str(e, "name"), str(vf, "resourceFieldRef.resource"));
        } else if (has(vf, "secretKeyRef")) {
            wr(d, 3, "%s:\t<set to the key '%s' in secret '%s'>\tOptional: %s\n", str(e, "name"),
               str(vf, "secretKeyRef.key"), str(vf, "secretKeyRef.name"),
               json_is_true(get(vf, "secretKeyRef.optional")) ? "true" : "false");
        } else if (has(vf, "configMapKeyRef")) {
            wr(d, 3, "%s:\t<set to the key '%s' of config map '%s'>\tOptional: %s\n", str(e, "name"),
               str(vf, "configMapKeyRef.key"), str(vf, "configMapKeyRef.name"),
               json_is_true(get(vf, "configMapKeyRef.optional")) ? "true" : "false");
        }
    }
}

static void
container_mounts(struct d *d, const json_t *c)
{
    const json_t *mounts = json_object_get(c, "volumeMounts");
    size_t n = json_array_size(mounts);
    wr(d, 2, "Mounts:%s\n", n ? "" : "\t<none>");
    if (n) {
        const json_t **v = kc_calloc(n, sizeof(*v));
        if (!v)
            return;
        for (size_t i = 0; i < n; i++)
            v[i] = json_array_get(mounts, i);
        qsort(v, n, sizeof(*v), cmp_mount);
        for (size_t i = 0; i < n; i++) {
            const char *sub = str(v[i], "subPath");
            if (*sub)
                wr(d, 3, "%s from %s (%s,path=\"%s\")\n", str(v[i], "mountPath"), str(v[i], "name"),
                   json_is_true(json_object_get(v[i], "readOnly")) ? "ro" : "rw", sub);
            else
                wr(d, 3, "%s from %s (%s)\n", str(v[i], "mountPath"), str(v[i], "name"),
                   json_is_true(json_object_get(v[i], "readOnly")) ? "ro" : "rw");
        }
        free(v);
    }
    const json_t *devs = json_object_get(c, "volumeDevices");
    if (json_array_size(devs)) {
        wr(d, 2, "Devices:\n");
        size_t i;
        const json_t *dv;
        json_array_foreach(devs, i, dv) wr(d, 3, "%s from %s\n", str(dv, "devicePath"), str(dv, "name"));
    }
}

static const json_t *
status_of(const json_t *statuses, const char *name)
{
    size_t i;
    const json_t *s;
    json_array_foreach(statuses, i, s)
    {
        if (strcmp(str(s, "name"), name) == 0)
            return s;
    }
    return NULL;
}

static void
containers(struct d *d, const char *label, const json_t *list, const json_t *statuses, const char *space)
{
    wr(d, 0, "%s%s:%s\n", space, label, json_array_size(list) ? "" : " <none>");
    size_t i;
    const json_t *c;
    json_array_foreach(list, i, c)
    {
        const json_t *st = status_of(statuses, str(c, "name"));
        wr(d, 1, "%s%s:\n", *space ? " " : "", str(c, "name"));
        if (st)
            wr(d, 2, "Container ID:\t%s\n", str(st, "containerID"));
        wr(d, 2, "Image:\t%s\n", str(c, "image"));
        if (st)
            wr(d, 2, "Image ID:\t%s\n", str(st, "imageID"));
        char ports[1024];
        ports_string(json_object_get(c, "ports"), "containerPort", ports, sizeof(ports));
        if (strchr(ports, ','))
            wr(d, 2, "Ports:\t%s\n", ports);
        else
            wr(d, 2, "Port:\t%s\n", *ports ? ports : "<none>");
        ports_string(json_object_get(c, "ports"), "hostPort", ports, sizeof(ports));
        if (strchr(ports, ','))
            wr(d, 2, "Host Ports:\t%s\n", ports);
        else
            wr(d, 2, "Host Port:\t%s\n", *ports ? ports : "<none>");
        if (has(c, "securityContext.seccompProfile")) {
            wr(d, 2, "SeccompProfile:\t%s\n", str(c, "securityContext.seccompProfile.type"));
            if (strcmp(str(c, "securityContext.seccompProfile.type"), "Localhost") == 0)
                wr(d, 3, "LocalhostProfile:\t%s\n", str(c, "securityContext.seccompProfile.localhostProfile"));
        }
        static const char *const cmd_keys[] = { "command", "Command", "args", "Args" };
        for (int k = 0; k < 4; k += 2) {
            const json_t *arr = json_object_get(c, cmd_keys[k]);
            if (!json_array_size(arr))
                continue;
            wr(d, 2, "%s:\n", cmd_keys[k + 1]);
            size_t j;
            const json_t *a;
            json_array_foreach(arr, j, a)
            {
                char *s = kc_strdup(json_string_value(a) ? json_string_value(a) : "");
                for (char *line = s, *next; line; line = next) {
                    next = strchr(line, '\n');
                    if (next)
                        *next++ = '\0';
                    wr(d, 3, "%s\n", line);
                }
                free(s);
            }
        }
        if (st) {
            container_state(d, "State", json_object_get(st, "state"));
            if (has(st, "lastState.terminated"))
                container_state(d, "Last State", json_object_get(st, "lastState"));
            wr(d, 2, "Ready:\t%s\n", json_is_true(json_object_get(st, "ready")) ? "True" : "False");
            wr(d, 2, "Restart Count:\t%lld\n", num(st, "restartCount"));
        }
        resources(d, json_object_get(c, "resources"), 2);
        if (has(c, "livenessProbe"))
            probe(d, "Liveness", get(c, "livenessProbe"));
        if (has(c, "readinessProbe"))
            probe(d, "Readiness", get(c, "readinessProbe"));
        if (has(c, "startupProbe"))
            probe(d, "Startup", get(c, "startupProbe"));
        container_env(d, c);
        container_mounts(d, c);
    }
}

/* --- volumes ------------------------------------------------------------------------------------------------- */

static void
volume_source(struct d *d, const json_t *v, bool pv)
{
    char buf[64];
    if (has(v, "hostPath")) {
        wr(d, 2, "Type:\tHostPath (bare host directory volume)\n    Path:\t%s\n    HostPathType:\t%s\n",
           str(v, "hostPath.path"), has(v, "hostPath.type") ? str(v, "hostPath.type") : "<none>");
    } else if (has(v, "emptyDir")) {
        const char *limit = "<unset>";
        if (has(v, "emptyDir.sizeLimit")) {
            quantity(get(v, "emptyDir.sizeLimit"), buf, sizeof(buf));
            if (strcmp(buf, "0") != 0)
                limit = buf;
        }
        wr(d, 2,
           "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t%s\n    "
           "SizeLimit:\t%s\n",
           str(v, "emptyDir.medium"), limit);
    } else if (has(v, "secret")) {
        wr(d, 2, "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t%s\n    Optional:\t%s\n",
           str(v, "secret.secretName"), json_is_true(get(v, "secret.optional")) ? "true" : "false");
    } else if (has(v, "configMap")) {
        wr(d, 2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t%s\n    Optional:\t%s\n",
           str(v, "configMap.name"), json_is_true(get(v, "configMap.optional")) ? "true" : "false");
    } else if (has(v, "persistentVolumeClaim")) {
        wr(d, 2,
           "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    "
           "ClaimName:\t%s\n    ReadOnly:\t%s\n",
           str(v, "persistentVolumeClaim.claimName"),
           json_is_true(get(v, "persistentVolumeClaim.readOnly")) ? "true" : "false");
    } else if (has(v, "nfs")) {
        wr(d, 2,
           "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t%s\n    Path:\t%s\n    "
           "ReadOnly:\t%s\n",
           str(v, "nfs.server"), str(v, "nfs.path"), json_is_true(get(v, "nfs.readOnly")) ? "true" : "false");
    } else if (has(v, "local")) {
        wr(d, 2, "Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n    Path:\t%s\n",
           str(v, "local.path"));
    } else if (has(v, "projected")) {
        wr(d, 2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n");
        size_t i;
        const json_t *s;
        json_array_foreach(get(v, "projected.sources"), i, s)
        {
            if (has(s, "secret"))
                wr(d, 2, "SecretName:\t%s\n    Optional:\t%s\n", str(s, "secret.name"),
                   json_is_true(get(s, "secret.optional")) ? "true" : "false");
            else if (has(s, "downwardAPI"))
                wr(d, 2, "DownwardAPI:\ttrue\n");
            else if (has(s, "configMap"))
                wr(d, 2, "ConfigMapName:\t%s\n    Optional:\t%s\n", str(s, "configMap.name"),
                   json_is_true(get(s, "configMap.optional")) ? "true" : "false");
            else if (has(s, "serviceAccountToken"))
                wr(d, 2, "TokenExpirationSeconds:\t%lld\n", num(s, "serviceAccountToken.expirationSeconds"));
        }
    } else if (has(v, "downwardAPI")) {
        wr(d, 2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n");
        size_t i;
        const json_t *it;
        json_array_foreach(get(v, "downwardAPI.items"), i, it)
        {
            if (has(it, "fieldRef"))
                wr(d, 3, "%s -> %s\n", str(it, "fieldRef.fieldPath"), str(it, "path"));
            if (has(it, "resourceFieldRef"))
                wr(d, 3, "%s -> %s\n", str(it, "resourceFieldRef.resource"), str(it, "path"));
        }
    } else if (has(v, "csi")) {
        wr(d, 2, "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t%s\n    FSType:\t%s\n",
           str(v, "csi.driver"), str(v, "csi.fsType"));
        if (pv)
            wr(d, 2, "VolumeHandle:\t%s\n", str(v, "csi.volumeHandle"));
        wr(d, 2, "ReadOnly:\t%s\n", json_is_true(get(v, "csi.readOnly")) ? "true" : "false");
        const json_t *attrs = get(v, "csi.volumeAttributes");
        wr(d, 2, "VolumeAttributes:\t");
        size_t n;
        const char **keys = json_object_size(attrs) ? sorted_keys(attrs, &n) : NULL;
        if (!keys)
            wr(d, 0, "<none>\n");
        for (size_t i = 0; keys && i < n; i++) {
            if (i)
                wr(d, 2, "\t");
            char line[512];
            snprintf(line, sizeof(line), "%s=%s", keys[i], str(attrs, keys[i]));
            if (strlen(line) > MAX_ANNOTATION_LEN)
                wr(d, 2, "%.*s...\n", MAX_ANNOTATION_LEN, line);
            else
                wr(d, 2, "%s\n", line);
        }
        free(keys);
    } else {
        wr(d, 1, "<unknown>\n");
    }
}

static void
volumes(struct d *d, const json_t *vols, const char *space)
{
    if (!json_array_size(vols)) {
        wr(d, 0, "%sVolumes:\t<none>\n", space);
        return;
    }
    wr(d, 0, "%sVolumes:\n", space);
    size_t i;
    const json_t *v;
    json_array_foreach(vols, i, v)
    {
        wr(d, 1, "%s%s:\n", *space ? " " : "", str(v, "name"));
        volume_source(d, v, false);
    }
}

static void
pod_template(struct d *d, const json_t *t)
{
    wr(d, 0, "Pod Template:\n");
    if (!t) {
        wr(d, 1, "<unset>");
        return;
    }
    const json_t *spec = json_object_get(t, "spec");
    labels_multiline(d, "", "  Labels", get(t, "metadata.labels"));
    if (json_object_size(get(t, "metadata.annotations")))
        annotations_multiline(d, "  Annotations", get(t, "metadata.annotations"));
    if (*str(spec, "serviceAccountName"))
        wr(d, 1, "Service Account:\t%s\n", str(spec, "serviceAccountName"));
    if (json_array_size(json_object_get(spec, "initContainers")))
        containers(d, "Init Containers", json_object_get(spec, "initContainers"), NULL, "  ");
    containers(d, "Containers", json_object_get(spec, "containers"), NULL, "  ");
    volumes(d, json_object_get(spec, "volumes"), "  ");
    if (*str(spec, "priorityClassName"))
        wr(d, 1, "Priority Class Name:\t%s\n", str(spec, "priorityClassName"));
    labels_multiline(d, "", "  Node-Selectors", json_object_get(spec, "nodeSelector"));
    tolerations_multiline(d, "", "  Tolerations", json_object_get(spec, "tolerations"));
}

/* --- events -------------------------------------------------------------------------------------------------- */

static const char *
event_last(const json_t *e)
{
    return str(e, "lastTimestamp");
}

static void
events(struct d *d)
{
    const json_t *list = d->ctx->events;
    if (!list)
        return;
    size_t n = json_array_size(list);
    if (n == 0) {
        wr(d, 0, "Events:\t<none>\n");
        return;
    }
    kctl_tabwriter_flush(d->tw); /* w.Flush(): the event table is laid out on its own */
    /* stable sort by lastTimestamp (SortableEvents) */
    const json_t **v = kc_calloc(n, sizeof(*v));
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(list, i);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            struct kc_time a = { 0 }, b = { 0 };
            kc_time_parse(event_last(v[j]), &b);
            kc_time_parse(event_last(v[j - 1]), &a);
            if (b.sec < a.sec || (b.sec == a.sec && b.nsec < a.nsec)) {
                const json_t *t = v[j];
                v[j] = v[j - 1];
                v[j - 1] = t;
            } else {
                break;
            }
        }
    wr(d, 0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
    wr(d, 1, "----\t------\t----\t----\t-------\n");
    for (size_t i = 0; i < n; i++) {
        const json_t *e = v[i];
        char first[32], last[32], interval[128];
        const char *et = str(e, "eventTime");
        kctl_age(*et ? et : str(e, "firstTimestamp"), d->ctx->now, first, sizeof(first));
        if (has(e, "series")) {
            kctl_age(str(e, "series.lastObservedTime"), d->ctx->now, last, sizeof(last));
            snprintf(interval, sizeof(interval), "%s (x%lld over %s)", last, num(e, "series.count"), first);
        } else if (num(e, "count") > 1) {
            kctl_age(str(e, "lastTimestamp"), d->ctx->now, last, sizeof(last));
            snprintf(interval, sizeof(interval), "%s (x%lld over %s)", last, num(e, "count"), first);
        } else {
            snprintf(interval, sizeof(interval), "%s", first);
        }
        const char *source = *str(e, "source.component") ? str(e, "source.component") : str(e, "reportingComponent");
        char *msg = kc_strdup(str(e, "message"));
        char *m = msg;
        while (m && isspace((unsigned char)*m))
            m++;
        size_t ml = m ? strlen(m) : 0;
        while (ml > 0 && isspace((unsigned char)m[ml - 1]))
            m[--ml] = '\0';
        wr(d, 1, "%s\t%s\t%s\t%s\t%s\n", str(e, "type"), str(e, "reason"), interval, source, m ? m : "");
        free(msg);
    }
    free(v);
}

/* --- describers ---------------------------------------------------------------------------------------------- */

static const char *
controller_of(const json_t *obj, char *buf, size_t len)
{
    size_t i;
    const json_t *r;
    json_array_foreach(get(obj, "metadata.ownerReferences"), i, r)
    {
        if (json_is_true(json_object_get(r, "controller"))) {
            snprintf(buf, len, "%s/%s", str(r, "kind"), str(r, "name"));
            return buf;
        }
    }
    return NULL;
}

/* qos.GetPodQOS: the status's class, else computed from the containers' requests and limits. */
static const char *
pod_qos(const json_t *pod)
{
    if (*str(pod, "status.qosClass"))
        return str(pod, "status.qosClass");
    bool any = false, guaranteed = true;
    size_t i;
    const json_t *c;
    json_array_foreach(get(pod, "spec.containers"), i, c)
    {
        const json_t *req = get(c, "resources.requests"), *lim = get(c, "resources.limits");
        if (json_object_size(req) || json_object_size(lim))
            any = true;
        static const char *const rs[] = { "cpu", "memory" };
        for (int k = 0; k < 2; k++) {
            const json_t *l = json_object_get(lim, rs[k]), *r = json_object_get(req, rs[k]);
            if (!l) {
                guaranteed = false;
                continue;
            }
            struct kc_quantity ql, qr;
            if (r && (kc_quantity_from_json(l, &ql, NULL, 0) || kc_quantity_from_json(r, &qr, NULL, 0) ||
                      kc_quantity_cmp(&ql, &qr) != 0))
                guaranteed = false;
        }
    }
    return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
}

static void
describe_pod(struct d *d, const json_t *pod)
{
    const json_t *spec = json_object_get(pod, "spec"), *st = json_object_get(pod, "status");
    char t[64], buf[256];
    wr(d, 0, "Name:\t%s\n", str(pod, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(pod, "metadata.namespace"));
    if (has(spec, "priority"))
        wr(d, 0, "Priority:\t%lld\n", num(spec, "priority"));
    if (*str(spec, "priorityClassName"))
        wr(d, 0, "Priority Class Name:\t%s\n", str(spec, "priorityClassName"));
    if (*str(spec, "runtimeClassName"))
        wr(d, 0, "Runtime Class Name:\t%s\n", str(spec, "runtimeClassName"));
    if (*str(spec, "serviceAccountName"))
        wr(d, 0, "Service Account:\t%s\n", str(spec, "serviceAccountName"));
    if (!*str(spec, "nodeName"))
        wr(d, 0, "Node:\t<none>\n");
    else
        wr(d, 0, "Node:\t%s/%s\n", str(spec, "nodeName"), str(st, "hostIP"));
    if (has(st, "startTime")) {
        rfc1123z(str(st, "startTime"), t, sizeof(t));
        wr(d, 0, "Start Time:\t%s\n", t);
    }
    labels_multiline(d, "", "Labels", get(pod, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(pod, "metadata.annotations"));
    const char *phase = str(st, "phase");
    if (has(pod, "metadata.deletionTimestamp") && strcmp(phase, "Failed") != 0 && strcmp(phase, "Succeeded") != 0) {
        kctl_age(str(pod, "metadata.deletionTimestamp"), d->ctx->now, t, sizeof(t));
        wr(d, 0, "Status:\tTerminating (lasts %s)\n", t);
        wr(d, 0, "Termination Grace Period:\t%llds\n", num(pod, "metadata.deletionGracePeriodSeconds"));
    } else {
        wr(d, 0, "Status:\t%s\n", phase);
    }
    if (*str(st, "reason"))
        wr(d, 0, "Reason:\t%s\n", str(st, "reason"));
    if (*str(st, "message"))
        wr(d, 0, "Message:\t%s\n", str(st, "message"));
    if (has(spec, "securityContext.seccompProfile")) {
        wr(d, 0, "SeccompProfile:\t%s\n", str(spec, "securityContext.seccompProfile.type"));
        if (strcmp(str(spec, "securityContext.seccompProfile.type"), "Localhost") == 0)
            wr(d, 0, "LocalhostProfile:\t%s\n", str(spec, "securityContext.seccompProfile.localhostProfile"));
    }
    wr(d, 0, "IP:\t%s\n", str(st, "podIP"));
    const json_t *ips = json_object_get(st, "podIPs");
    if (!json_array_size(ips)) {
        wr(d, 0, "IPs:\t<none>\n");
    } else {
        wr(d, 0, "IPs:\n");
        size_t i;
        const json_t *ip;
        json_array_foreach(ips, i, ip) wr(d, 1, "IP:\t%s\n", str(ip, "ip"));
    }
    if (controller_of(pod, buf, sizeof(buf)))
        wr(d, 0, "Controlled By:\t%s\n", buf);
    if (*str(st, "nominatedNodeName"))
        wr(d, 0, "NominatedNodeName:\t%s\n", str(st, "nominatedNodeName"));
    if (has(spec, "resources")) {
        wr(d, 0, "Resources:\n");
        resources(d, get(spec, "resources"), 1);
    }
    if (json_array_size(json_object_get(spec, "initContainers")))
        containers(d, "Init Containers", json_object_get(spec, "initContainers"),
                   json_object_get(st, "initContainerStatuses"), "");
    containers(d, "Containers", json_object_get(spec, "containers"), json_object_get(st, "containerStatuses"), "");
    if (json_array_size(json_object_get(spec, "readinessGates"))) {
        wr(d, 0, "Readiness Gates:\n  Type\tStatus\n");
        size_t i;
        const json_t *g;
        json_array_foreach(json_object_get(spec, "readinessGates"), i, g)
        {
            const char *status = "<none>";
            size_t k;
            const json_t *c;
            json_array_foreach(json_object_get(st, "conditions"), k, c)
            {
                if (strcmp(str(c, "type"), str(g, "conditionType")) == 0) {
                    status = str(c, "status");
                    break;
                }
            }
            wr(d, 1, "%s \t%s \n", str(g, "conditionType"), status);
        }
    }
    if (json_array_size(json_object_get(st, "conditions"))) {
        wr(d, 0, "Conditions:\n  Type\tStatus\n");
        size_t i;
        const json_t *c;
        json_array_foreach(json_object_get(st, "conditions"), i, c)
            wr(d, 1, "%s \t%s \n", str(c, "type"), str(c, "status"));
    }
    volumes(d, json_object_get(spec, "volumes"), "");
    wr(d, 0, "QoS Class:\t%s\n", pod_qos(pod));
    labels_multiline(d, "", "Node-Selectors", json_object_get(spec, "nodeSelector"));
    tolerations_multiline(d, "", "Tolerations", json_object_get(spec, "tolerations"));
    events(d);
}

/* The pod's requests (or limits) of one resource in milli-units: the sum over containers, at least the largest
 * init container's (resourcehelper.PodRequests without overhead and pod-level resources). */
static int64_t
pod_resource(const json_t *pod, const char *which, const char *name)
{
    int64_t sum = 0, init = 0;
    size_t i;
    const json_t *c;
    char path[64];
    snprintf(path, sizeof(path), "resources.%s.%s", which, name);
    json_array_foreach(get(pod, "spec.containers"), i, c)
    {
        struct kc_quantity q;
        if (has(c, path) && kc_quantity_from_json(get(c, path), &q, NULL, 0) == 0)
            sum += kc_quantity_milli_value(&q);
    }
    json_array_foreach(get(pod, "spec.initContainers"), i, c)
    {
        struct kc_quantity q;
        if (has(c, path) && kc_quantity_from_json(get(c, path), &q, NULL, 0) == 0 && kc_quantity_milli_value(&q) > init)
            init = kc_quantity_milli_value(&q);
    }
    return sum > init ? sum : init;
}

static void
milli_string(int64_t milli, bool binary, char *buf, size_t len)
{
    struct kc_quantity q;
    char tmp[KC_QUANTITY_STRLEN];
    if (kc_quantity_from_milli(milli, binary ? KC_QUANTITY_BINARY_SI : KC_QUANTITY_DECIMAL_SI, &q) == 0)
        snprintf(buf, len, "%s", kc_quantity_string(&q, tmp));
    else
        snprintf(buf, len, "0");
}

static int64_t
alloc_milli(const json_t *node, const char *name)
{
    const json_t *a = get(node, "status.allocatable");
    if (!json_object_size(a))
        a = get(node, "status.capacity");
    struct kc_quantity q;
    if (json_object_get(a, name) && kc_quantity_from_json(json_object_get(a, name), &q, NULL, 0) == 0)
        return kc_quantity_milli_value(&q);
    return 0;
}

static long long
percent(int64_t part, int64_t whole)
{
    return whole ? (long long)((double)part / (double)whole * 100) : 0;
}

static void
describe_node(struct d *d, const json_t *node)
{
    char t[64];
    wr(d, 0, "Name:\t%s\n", str(node, "metadata.name"));
    /* findNodeRoles */
    const json_t *labels = get(node, "metadata.labels");
    json_t *roles = json_array();
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)labels, key, val)
    {
        const char *role = NULL;
        if (strncmp(key, "node-role.kubernetes.io/", 24) == 0 && key[24])
            role = key + 24;
        else if (strcmp(key, "kubernetes.io/role") == 0 && json_string_length(val))
            role = json_string_value(val);
        if (!role)
            continue;
        bool dup = false;
        size_t i;
        json_t *r;
        json_array_foreach(roles, i, r) dup = dup || strcmp(json_string_value(r), role) == 0;
        if (!dup)
            json_array_append_new(roles, json_string(role));
    }
    size_t nr = json_array_size(roles);
    const char **rs = kc_calloc(nr ? nr : 1, sizeof(*rs));
    for (size_t i = 0; rs && i < nr; i++)
        rs[i] = json_string_value(json_array_get(roles, i));
    if (rs)
        qsort(rs, nr, sizeof(*rs), cmp_keys);
    char rolebuf[1024] = "";
    for (size_t i = 0; rs && i < nr; i++)
        snprintf(rolebuf + strlen(rolebuf), sizeof(rolebuf) - strlen(rolebuf), "%s%s", i ? "," : "", rs[i]);
    free(rs);
    json_decref(roles);
    wr(d, 0, "Roles:\t%s\n", nr ? rolebuf : "<none>");
    labels_multiline(d, "", "Labels", labels);
    annotations_multiline(d, "Annotations", get(node, "metadata.annotations"));
    rfc1123z(str(node, "metadata.creationTimestamp"), t, sizeof(t));
    wr(d, 0, "CreationTimestamp:\t%s\n", t);
    taints_multiline(d, "Taints", get(node, "spec.taints"));
    wr(d, 0, "Unschedulable:\t%s\n", json_is_true(get(node, "spec.unschedulable")) ? "true" : "false");
    if (d->ctx->lease) {
        const json_t *l = d->ctx->lease;
        wr(d, 0, "Lease:\n");
        wr(d, 1, "HolderIdentity:\t%s\n", has(l, "spec.holderIdentity") ? str(l, "spec.holderIdentity") : "<unset>");
        if (has(l, "spec.acquireTime"))
            rfc1123z(str(l, "spec.acquireTime"), t, sizeof(t));
        wr(d, 1, "AcquireTime:\t%s\n", has(l, "spec.acquireTime") ? t : "<unset>");
        if (has(l, "spec.renewTime"))
            rfc1123z(str(l, "spec.renewTime"), t, sizeof(t));
        wr(d, 1, "RenewTime:\t%s\n", has(l, "spec.renewTime") ? t : "<unset>");
    } else {
        wr(d, 0, "Lease:\tFailed to get lease: %s\n", d->ctx->lease_error ? d->ctx->lease_error : "unknown");
    }
    const json_t *conds = get(node, "status.conditions");
    if (json_array_size(conds)) {
        wr(d, 0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n");
        wr(d, 1, "----\t------\t-----------------\t------------------\t------\t-------\n");
        size_t i;
        const json_t *c;
        json_array_foreach(conds, i, c)
        {
            char hb[64], tr[64];
            rfc1123z(json_string_value(json_object_get(c, "lastHeartbeatTime")), hb, sizeof(hb));
            rfc1123z(json_string_value(json_object_get(c, "lastTransitionTime")), tr, sizeof(tr));
            wr(d, 1, "%s \t%s \t%s \t%s \t%s \t%s\n", str(c, "type"), str(c, "status"), hb, tr, str(c, "reason"),
               str(c, "message"));
        }
    }
    wr(d, 0, "Addresses:\n");
    size_t i;
    const json_t *a;
    json_array_foreach(get(node, "status.addresses"), i, a) wr(d, 1, "%s:\t%s\n", str(a, "type"), str(a, "address"));
    static const char *const lists[] = { "capacity", "Capacity", "allocatable", "Allocatable" };
    for (int k = 0; k < 4; k += 2) {
        char path[32];
        snprintf(path, sizeof(path), "status.%s", lists[k]);
        const json_t *rl = get(node, path);
        size_t n;
        const char **keys = json_object_size(rl) ? sorted_keys(rl, &n) : NULL;
        if (!keys)
            continue;
        wr(d, 0, "%s:\n", lists[k + 1]);
        for (size_t j = 0; j < n; j++) {
            char q[64];
            quantity(json_object_get(rl, keys[j]), q, sizeof(q));
            wr(d, 0, "  %s:\t%s\n", keys[j], q);
        }
        free(keys);
    }
    const json_t *ni = get(node, "status.nodeInfo");
    wr(d, 0, "System Info:\n");
    wr(d, 0, "  Machine ID:\t%s\n", str(ni, "machineID"));
    wr(d, 0, "  System UUID:\t%s\n", str(ni, "systemUUID"));
    wr(d, 0, "  Boot ID:\t%s\n", str(ni, "bootID"));
    wr(d, 0, "  Kernel Version:\t%s\n", str(ni, "kernelVersion"));
    wr(d, 0, "  OS Image:\t%s\n", str(ni, "osImage"));
    wr(d, 0, "  Operating System:\t%s\n", str(ni, "operatingSystem"));
    wr(d, 0, "  Architecture:\t%s\n", str(ni, "architecture"));
    wr(d, 0, "  Container Runtime Version:\t%s\n", str(ni, "containerRuntimeVersion"));
    wr(d, 0, "  Kubelet Version:\t%s\n", str(ni, "kubeletVersion"));
    wr(d, 0, "  Kube-Proxy Version:\t%s\n", str(ni, "kubeProxyVersion"));
    if (*str(node, "spec.podCIDR"))
        wr(d, 0, "PodCIDR:\t%s\n", str(node, "spec.podCIDR"));
    const json_t *cidrs = get(node, "spec.podCIDRs");
    if (json_array_size(cidrs)) {
        char buf[512] = "";
        size_t k;
        const json_t *c;
        json_array_foreach(cidrs, k, c)
            snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", k ? "," : "", json_string_value(c));
        wr(d, 0, "PodCIDRs:\t%s\n", buf);
    }
    if (*str(node, "spec.providerID"))
        wr(d, 0, "ProviderID:\t%s\n", str(node, "spec.providerID"));
    const json_t *pods = d->ctx->pods;
    if (pods) {
        wr(d, 0, "Non-terminated Pods:\t(%zu in total)\n", json_array_size(pods));
        wr(d, 1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n");
        wr(d, 1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n");
        int64_t acpu = alloc_milli(node, "cpu"), amem = alloc_milli(node, "memory"),
                aeph = alloc_milli(node, "ephemeral-storage");
        int64_t tot[6] = { 0 };
        const json_t *p;
        json_array_foreach(pods, i, p)
        {
            int64_t v[4] = { pod_resource(p, "requests", "cpu"), pod_resource(p, "limits", "cpu"),
                             pod_resource(p, "requests", "memory"), pod_resource(p, "limits", "memory") };
            char s[4][64], age[32];
            for (int k = 0; k < 4; k++)
                milli_string(v[k], k >= 2, s[k], sizeof(s[k]));
            kctl_age(str(p, "metadata.creationTimestamp"), d->ctx->now, age, sizeof(age));
            wr(d, 1, "%s\t%s\t\t%s (%lld%%)\t%s (%lld%%)\t%s (%lld%%)\t%s (%lld%%)\t%s\n", str(p, "metadata.namespace"),
               str(p, "metadata.name"), s[0], percent(v[0], acpu), s[1], percent(v[1], acpu), s[2], percent(v[2], amem),
               s[3], percent(v[3], amem), age);
            for (int k = 0; k < 4; k++)
                tot[k] += v[k];
            tot[4] += pod_resource(p, "requests", "ephemeral-storage");
            tot[5] += pod_resource(p, "limits", "ephemeral-storage");
        }
        wr(d, 0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n");
        wr(d, 1, "Resource\tRequests\tLimits\n");
        wr(d, 1, "--------\t--------\t------\n");
        char s[6][64];
        for (int k = 0; k < 6; k++)
            milli_string(tot[k], k >= 2, s[k], sizeof(s[k]));
        wr(d, 1, "cpu\t%s (%lld%%)\t%s (%lld%%)\n", s[0], percent(tot[0], acpu), s[1], percent(tot[1], acpu));
        wr(d, 1, "memory\t%s (%lld%%)\t%s (%lld%%)\n", s[2], percent(tot[2], amem), s[3], percent(tot[3], amem));
        wr(d, 1, "ephemeral-storage\t%s (%lld%%)\t%s (%lld%%)\n", s[4], percent(tot[4], aeph), s[5],
           percent(tot[5], aeph));
    } else {
        wr(d, 0, "Pods:\tnot authorized\n");
    }
    events(d);
}

static void
join_strings(const json_t *arr, const char *sep, char *buf, size_t len)
{
    buf[0] = '\0';
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? sep : "", json_string_value(v) ?: "");
}

/* formatEndpointSlices: up to three ready host:port pairs of the port named port_name, "+ N more...". */
static void
format_slices(const json_t *slices, const char *port_name, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!json_array_size(slices)) {
        snprintf(buf, len, "<none>");
        return;
    }
    int count = 0, listed = 0;
    bool more = false;
    size_t i;
    const json_t *sl;
    json_array_foreach(slices, i, sl)
    {
        const json_t *ports = json_object_get(sl, "ports"), *eps = json_object_get(sl, "endpoints");
        size_t np = json_array_size(ports);
        for (size_t j = 0; j < (np ? np : 1); j++) {
            const json_t *p = np ? json_array_get(ports, j) : NULL;
            if (p && port_name && strcmp(str(p, "name"), port_name) != 0)
                continue;
            size_t k;
            const json_t *e;
            json_array_foreach(eps, k, e)
            {
                if (listed == 3)
                    more = true;
                const json_t *ready = get(e, "conditions.ready");
                if (ready && json_is_false(ready))
                    continue;
                if (!more) {
                    const char *ip = json_string_value(json_array_get(json_object_get(e, "addresses"), 0));
                    ip = ip ? ip : "";
                    bool v6 = strchr(ip, ':') != NULL;
                    if (p)
                        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s%s%s:%lld", listed ? "," : "",
                                 v6 ? "[" : "", ip, v6 ? "]" : "", num(p, "port"));
                    else
                        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", listed ? "," : "", ip);
                    listed++;
                }
                count++;
            }
        }
    }
    if (more)
        snprintf(buf + strlen(buf), len - strlen(buf), " + %d more...", count - 3);
}

static void
describe_service(struct d *d, const json_t *svc)
{
    const json_t *spec = json_object_get(svc, "spec");
    char buf[2048];
    wr(d, 0, "Name:\t%s\n", str(svc, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(svc, "metadata.namespace"));
    labels_multiline(d, "", "Labels", get(svc, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(svc, "metadata.annotations"));
    char *sel = kctl_format_labels(json_object_get(spec, "selector"));
    wr(d, 0, "Selector:\t%s\n", sel ? sel : "<none>");
    free(sel);
    wr(d, 0, "Type:\t%s\n", str(spec, "type"));
    if (has(spec, "ipFamilyPolicy"))
        wr(d, 0, "IP Family Policy:\t%s\n", str(spec, "ipFamilyPolicy"));
    if (json_array_size(json_object_get(spec, "ipFamilies"))) {
        join_strings(json_object_get(spec, "ipFamilies"), ",", buf, sizeof(buf));
        wr(d, 0, "IP Families:\t%s\n", buf);
    } else {
        wr(d, 0, "IP Families:\t<none>\n");
    }
    wr(d, 0, "IP:\t%s\n", str(spec, "clusterIP"));
    if (json_array_size(json_object_get(spec, "clusterIPs"))) {
        join_strings(json_object_get(spec, "clusterIPs"), ",", buf, sizeof(buf));
        wr(d, 0, "IPs:\t%s\n", buf);
    } else {
        wr(d, 0, "IPs:\t<none>\n");
    }
    if (json_array_size(json_object_get(spec, "externalIPs"))) {
        join_strings(json_object_get(spec, "externalIPs"), ",", buf, sizeof(buf));
        wr(d, 0, "External IPs:\t%s\n", buf);
    }
    if (*str(spec, "loadBalancerIP"))
        wr(d, 0, "Desired LoadBalancer IP:\t%s\n", str(spec, "loadBalancerIP"));
    if (*str(spec, "externalName"))
        wr(d, 0, "External Name:\t%s\n", str(spec, "externalName"));
    const json_t *lbi = get(svc, "status.loadBalancer.ingress");
    if (json_array_size(lbi)) {
        buf[0] = '\0';
        size_t i;
        const json_t *ing;
        json_array_foreach(lbi, i, ing)
        {
            const char *ip = str(ing, "ip");
            snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? ", " : "",
                     *ip ? ip : str(ing, "hostname"));
            if (*ip && has(ing, "ipMode"))
                snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " (%s)", str(ing, "ipMode"));
        }
        wr(d, 0, "LoadBalancer Ingress:\t%s\n", buf);
    }
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(spec, "ports"), i, p)
    {
        const char *name = *str(p, "name") ? str(p, "name") : "<unset>";
        const char *proto = str(p, "protocol");
        wr(d, 0, "Port:\t%s\t%lld/%s\n", name, num(p, "port"), proto);
        const json_t *tp = json_object_get(p, "targetPort");
        if (json_is_integer(tp) || !tp)
            wr(d, 0, "TargetPort:\t%lld/%s\n", (long long)json_integer_value(tp), proto);
        else
            wr(d, 0, "TargetPort:\t%s/%s\n", json_string_value(tp), proto);
        if (has(p, "appProtocol"))
            wr(d, 0, "AppProtocol:\t%s\n", str(p, "appProtocol"));
        if (num(p, "nodePort"))
            wr(d, 0, "NodePort:\t%s\t%lld/%s\n", name, num(p, "nodePort"), proto);
        format_slices(d->ctx->slices, str(p, "name"), buf, sizeof(buf));
        wr(d, 0, "Endpoints:\t%s\n", buf);
    }
    wr(d, 0, "Session Affinity:\t%s\n", str(spec, "sessionAffinity"));
    if (*str(spec, "externalTrafficPolicy"))
        wr(d, 0, "External Traffic Policy:\t%s\n", str(spec, "externalTrafficPolicy"));
    if (has(spec, "internalTrafficPolicy"))
        wr(d, 0, "Internal Traffic Policy:\t%s\n", str(spec, "internalTrafficPolicy"));
    if (num(spec, "healthCheckNodePort"))
        wr(d, 0, "HealthCheck NodePort:\t%lld\n", num(spec, "healthCheckNodePort"));
    if (json_array_size(json_object_get(spec, "loadBalancerSourceRanges"))) {
        join_strings(json_object_get(spec, "loadBalancerSourceRanges"), ",", buf, sizeof(buf));
        wr(d, 0, "LoadBalancer Source Ranges:\t%s\n", buf);
    }
    if (has(spec, "trafficDistribution"))
        wr(d, 0, "Traffic Distribution:\t%s\n", str(spec, "trafficDistribution"));
    events(d);
}

/* The pods a controller owns, by phase (getPodStatusForController). */
static void
pod_counts(struct d *d, const json_t *owner, int *running, int *waiting, int *succeeded, int *failed)
{
    *running = *waiting = *succeeded = *failed = 0;
    const char *uid = str(owner, "metadata.uid");
    size_t i;
    const json_t *p;
    json_array_foreach(d->ctx->pods, i, p)
    {
        bool owned = false;
        size_t k;
        const json_t *r;
        json_array_foreach(get(p, "metadata.ownerReferences"), k, r) owned =
            owned || (json_is_true(json_object_get(r, "controller")) && strcmp(str(r, "uid"), uid) == 0);
        if (!owned)
            continue;
        const char *ph = str(p, "status.phase");
        if (!strcmp(ph, "Running"))
            (*running)++;
        else if (!strcmp(ph, "Pending"))
            (*waiting)++;
        else if (!strcmp(ph, "Succeeded"))
            (*succeeded)++;
        else if (!strcmp(ph, "Failed"))
            (*failed)++;
    }
}

/* Two pod templates are the same rollout when they are equal without the pod-template-hash label. */
static bool
same_template(const json_t *a, const json_t *b)
{
    json_t *x = json_deep_copy(a), *y = json_deep_copy(b);
    json_object_del(json_object_get(json_object_get(x, "metadata"), "labels"), "pod-template-hash");
    json_object_del(json_object_get(json_object_get(y, "metadata"), "labels"), "pod-template-hash");
    bool eq = json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return eq;
}

static void
describe_deployment(struct d *d, const json_t *dp)
{
    const json_t *spec = json_object_get(dp, "spec"), *st = json_object_get(dp, "status");
    char t[64];
    wr(d, 0, "Name:\t%s\n", str(dp, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(dp, "metadata.namespace"));
    rfc1123z(str(dp, "metadata.creationTimestamp"), t, sizeof(t));
    wr(d, 0, "CreationTimestamp:\t%s\n", t);
    labels_multiline(d, "", "Labels", get(dp, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(dp, "metadata.annotations"));
    char *sel = selector_string(json_object_get(spec, "selector"), true);
    wr(d, 0, "Selector:\t%s\n", sel ? sel : "");
    free(sel);
    wr(d, 0, "Replicas:\t%lld desired | %lld updated | %lld total | %lld available | %lld unavailable\n",
       num(spec, "replicas"), num(st, "updatedReplicas"), num(st, "replicas"), num(st, "availableReplicas"),
       num(st, "unavailableReplicas"));
    wr(d, 0, "StrategyType:\t%s\n", str(spec, "strategy.type"));
    wr(d, 0, "MinReadySeconds:\t%lld\n", num(spec, "minReadySeconds"));
    if (has(spec, "strategy.rollingUpdate")) {
        char *mu = int_or_string(get(spec, "strategy.rollingUpdate.maxUnavailable"));
        char *ms = int_or_string(get(spec, "strategy.rollingUpdate.maxSurge"));
        wr(d, 0, "RollingUpdateStrategy:\t%s max unavailable, %s max surge\n", mu ? mu : "", ms ? ms : "");
        free(mu);
        free(ms);
    }
    pod_template(d, json_object_get(spec, "template"));
    const json_t *conds = json_object_get(st, "conditions");
    if (json_array_size(conds)) {
        wr(d, 0, "Conditions:\n  Type\tStatus\tReason\n");
        wr(d, 1, "----\t------\t------\n");
        size_t i;
        const json_t *c;
        json_array_foreach(conds, i, c) wr(d, 1, "%s \t%s\t%s\n", str(c, "type"), str(c, "status"), str(c, "reason"));
    }
    /* the replica sets it controls: the one with the current template is new, the others old */
    char olds[2048] = "", news[1024] = "";
    int nold = 0, nnew = 0;
    size_t i;
    const json_t *rs;
    json_array_foreach(d->ctx->replicasets, i, rs)
    {
        bool owned = false;
        size_t k;
        const json_t *r;
        json_array_foreach(get(rs, "metadata.ownerReferences"), k, r) owned =
            owned ||
            (json_is_true(json_object_get(r, "controller")) && strcmp(str(r, "uid"), str(dp, "metadata.uid")) == 0);
        if (!owned)
            continue;
        char item[512];
        snprintf(item, sizeof(item), "%s (%lld/%lld replicas created)", str(rs, "metadata.name"),
                 num(rs, "status.replicas"), num(rs, "spec.replicas"));
        if (!nnew && same_template(get(rs, "spec.template"), json_object_get(spec, "template"))) {
            snprintf(news, sizeof(news), "%s", item);
            nnew++;
        } else {
            snprintf(olds + strlen(olds), sizeof(olds) - strlen(olds), "%s%s", nold++ ? ", " : "", item);
        }
    }
    if (nold || nnew) {
        wr(d, 0, "OldReplicaSets:\t%s\n", nold ? olds : "<none>");
        wr(d, 0, "NewReplicaSet:\t%s\n", nnew ? news : "<none>");
    }
    events(d);
}

static void
describe_replicaset(struct d *d, const json_t *rs)
{
    char buf[256];
    wr(d, 0, "Name:\t%s\n", str(rs, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(rs, "metadata.namespace"));
    char *sel = selector_string(get(rs, "spec.selector"), false);
    wr(d, 0, "Selector:\t%s\n", sel ? sel : "");
    free(sel);
    labels_multiline(d, "", "Labels", get(rs, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(rs, "metadata.annotations"));
    if (controller_of(rs, buf, sizeof(buf)))
        wr(d, 0, "Controlled By:\t%s\n", buf);
    wr(d, 0, "Replicas:\t%lld current / %lld desired\n", num(rs, "status.replicas"), num(rs, "spec.replicas"));
    int r, w, s, f;
    pod_counts(d, rs, &r, &w, &s, &f);
    wr(d, 0, "Pods Status:\t");
    wr(d, 0, "%d Running / %d Waiting / %d Succeeded / %d Failed\n", r, w, s, f);
    pod_template(d, get(rs, "spec.template"));
    const json_t *conds = get(rs, "status.conditions");
    if (json_array_size(conds)) {
        wr(d, 0, "Conditions:\n  Type\tStatus\tReason\n");
        wr(d, 1, "----\t------\t------\n");
        size_t i;
        const json_t *c;
        json_array_foreach(conds, i, c) wr(d, 1, "%s \t%s\t%s\n", str(c, "type"), str(c, "status"), str(c, "reason"));
    }
    events(d);
}

static void
describe_job(struct d *d, const json_t *job)
{
    const json_t *spec = json_object_get(job, "spec"), *st = json_object_get(job, "status");
    char t[64], buf[256];
    wr(d, 0, "Name:\t%s\n", str(job, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(job, "metadata.namespace"));
    char *sel = selector_string(json_object_get(spec, "selector"), true);
    wr(d, 0, "Selector:\t%s\n", sel ? sel : "");
    free(sel);
    labels_multiline(d, "", "Labels", get(job, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(job, "metadata.annotations"));
    if (controller_of(job, buf, sizeof(buf)))
        wr(d, 0, "Controlled By:\t%s\n", buf);
    if (has(spec, "parallelism"))
        wr(d, 0, "Parallelism:\t%lld\n", num(spec, "parallelism"));
    if (has(spec, "completions"))
        wr(d, 0, "Completions:\t%lld\n", num(spec, "completions"));
    else
        wr(d, 0, "Completions:\t<unset>\n");
    if (has(spec, "completionMode"))
        wr(d, 0, "Completion Mode:\t%s\n", str(spec, "completionMode"));
    if (has(spec, "suspend"))
        wr(d, 0, "Suspend:\t%s\n", json_is_true(json_object_get(spec, "suspend")) ? "true" : "false");
    if (has(spec, "backoffLimit"))
        wr(d, 0, "Backoff Limit:\t%lld\n", num(spec, "backoffLimit"));
    if (has(spec, "ttlSecondsAfterFinished"))
        wr(d, 0, "TTL Seconds After Finished:\t%lld\n", num(spec, "ttlSecondsAfterFinished"));
    if (has(st, "startTime")) {
        rfc1123z(str(st, "startTime"), t, sizeof(t));
        wr(d, 0, "Start Time:\t%s\n", t);
    }
    if (has(st, "completionTime")) {
        rfc1123z(str(st, "completionTime"), t, sizeof(t));
        wr(d, 0, "Completed At:\t%s\n", t);
    }
    if (has(st, "startTime") && has(st, "completionTime")) {
        struct kc_time a, b;
        if (kc_time_parse(str(st, "startTime"), &a) == 0 && kc_time_parse(str(st, "completionTime"), &b) == 0) {
            kctl_human_duration(b.sec - a.sec, t, sizeof(t));
            wr(d, 0, "Duration:\t%s\n", t);
        }
    }
    if (has(spec, "activeDeadlineSeconds"))
        wr(d, 0, "Active Deadline Seconds:\t%llds\n", num(spec, "activeDeadlineSeconds"));
    if (!has(st, "ready"))
        wr(d, 0, "Pods Statuses:\t%lld Active / %lld Succeeded / %lld Failed\n", num(st, "active"),
           num(st, "succeeded"), num(st, "failed"));
    else
        wr(d, 0, "Pods Statuses:\t%lld Active (%lld Ready) / %lld Succeeded / %lld Failed\n", num(st, "active"),
           num(st, "ready"), num(st, "succeeded"), num(st, "failed"));
    if (strcmp(str(spec, "completionMode"), "Indexed") == 0) {
        const char *ix = str(st, "completedIndexes");
        size_t k = 50;
        while (k < strlen(ix) && ix[k] != ',')
            k++;
        if (!*ix)
            wr(d, 0, "Completed Indexes:\t<none>\n");
        else if (k >= strlen(ix))
            wr(d, 0, "Completed Indexes:\t%s\n", ix);
        else
            wr(d, 0, "Completed Indexes:\t%.*s...\n", (int)k + 1, ix);
    }
    pod_template(d, json_object_get(spec, "template"));
    events(d);
}

static char *
ingress_backend(struct d *d, const json_t *b)
{
    char *s = NULL;
    if (has(b, "service")) {
        const json_t *sv = get(b, "service");
        char port[64], eps[2048];
        if (num(sv, "port.number"))
            snprintf(port, sizeof(port), "%lld", num(sv, "port.number"));
        else
            snprintf(port, sizeof(port), "%s", str(sv, "port.name"));
        const json_t *info = json_object_get(d->ctx->backends, str(sv, "name"));
        if (has(info, "error")) {
            if (asprintf(&s, "%s:%s (<error: %s>)", str(sv, "name"), port, str(info, "error")) < 0)
                s = NULL;
            return s;
        }
        /* the service port the backend names, by number or name */
        const char *sp_name = "";
        size_t i;
        const json_t *sp;
        json_array_foreach(get(info, "service.spec.ports"), i, sp)
        {
            if ((num(sv, "port.number") && num(sv, "port.number") == num(sp, "port")) ||
                (*str(sv, "port.name") && strcmp(str(sv, "port.name"), str(sp, "name")) == 0))
                sp_name = str(sp, "name");
        }
        format_slices(json_object_get(info, "slices"), sp_name, eps, sizeof(eps));
        if (asprintf(&s, "%s:%s (%s)", str(sv, "name"), port, eps) < 0)
            s = NULL;
    } else if (has(b, "resource")) {
        const json_t *r = get(b, "resource");
        if (asprintf(&s, "APIGroup: %s, Kind: %s, Name: %s", has(r, "apiGroup") ? str(r, "apiGroup") : "<none>",
                     str(r, "kind"), str(r, "name")) < 0)
            s = NULL;
    } else {
        s = kc_strdup("");
    }
    return s;
}

static void
describe_ingress(struct d *d, const json_t *ing)
{
    const json_t *spec = json_object_get(ing, "spec");
    wr(d, 0, "Name:\t%s\n", str(ing, "metadata.name"));
    labels_multiline(d, "", "Labels", get(ing, "metadata.labels"));
    wr(d, 0, "Namespace:\t%s\n", str(ing, "metadata.namespace"));
    /* the load balancer's addresses, sorted and de-duplicated */
    json_t *addrs = json_array();
    size_t i;
    const json_t *a;
    json_array_foreach(get(ing, "status.loadBalancer.ingress"), i, a)
    {
        const char *v = *str(a, "ip") ? str(a, "ip") : str(a, "hostname");
        if (*v)
            json_array_append_new(addrs, json_string(v));
    }
    size_t na = json_array_size(addrs);
    const char **av = kc_calloc(na ? na : 1, sizeof(*av));
    for (size_t k = 0; av && k < na; k++)
        av[k] = json_string_value(json_array_get(addrs, k));
    if (av)
        qsort(av, na, sizeof(*av), cmp_keys);
    char abuf[1024] = "";
    for (size_t k = 0; av && k < na; k++)
        if (k == 0 || strcmp(av[k], av[k - 1]) != 0)
            snprintf(abuf + strlen(abuf), sizeof(abuf) - strlen(abuf), "%s%s", abuf[0] ? "," : "", av[k]);
    free(av);
    json_decref(addrs);
    wr(d, 0, "Address:\t%s\n", abuf);
    wr(d, 0, "Ingress Class:\t%s\n", has(spec, "ingressClassName") ? str(spec, "ingressClassName") : "<none>");
    char *def = has(spec, "defaultBackend") ? ingress_backend(d, get(spec, "defaultBackend")) : kc_strdup("<default>");
    wr(d, 0, "Default backend:\t%s\n", def ? def : "");
    const json_t *tls = json_object_get(spec, "tls");
    if (json_array_size(tls)) {
        wr(d, 0, "TLS:\n");
        const json_t *t;
        json_array_foreach(tls, i, t)
        {
            char hosts[1024];
            join_strings(json_object_get(t, "hosts"), ",", hosts, sizeof(hosts));
            if (!*str(t, "secretName"))
                wr(d, 1, "SNI routes %s\n", hosts);
            else
                wr(d, 1, "%s terminates %s\n", str(t, "secretName"), hosts);
        }
    }
    wr(d, 0, "Rules:\n  Host\tPath\tBackends\n");
    wr(d, 1, "----\t----\t--------\n");
    int count = 0;
    const json_t *rule;
    json_array_foreach(json_object_get(spec, "rules"), i, rule)
    {
        if (!has(rule, "http"))
            continue;
        count++;
        wr(d, 1, "%s\t\n", *str(rule, "host") ? str(rule, "host") : "*");
        size_t k;
        const json_t *p;
        json_array_foreach(get(rule, "http.paths"), k, p)
        {
            char *b = ingress_backend(d, json_object_get(p, "backend"));
            wr(d, 2, "\t%s \t%s\n", str(p, "path"), b ? b : "");
            free(b);
        }
    }
    if (count == 0)
        wr(d, 1, "%s\t%s\t%s\n", "*", "*", def ? def : "");
    free(def);
    annotations_multiline(d, "Annotations", get(ing, "metadata.annotations"));
    events(d);
}

static void
access_modes(const json_t *modes, char *buf, size_t len)
{
    static const struct {
        const char *mode, *abbr;
    } m[] = { { "ReadWriteOnce", "RWO" },
              { "ReadOnlyMany", "ROX" },
              { "ReadWriteMany", "RWX" },
              { "ReadWriteOncePod", "RWOP" } };
    buf[0] = '\0';
    /* GetAccessModesAsString lists each mode once, in this order */
    for (size_t k = 0; k < 4; k++) {
        size_t i;
        const json_t *v;
        json_array_foreach(modes, i, v)
        {
            if (json_string_value(v) && strcmp(json_string_value(v), m[k].mode) == 0) {
                snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? "," : "", m[k].abbr);
                break;
            }
        }
    }
}

static const char *
storage_class(const json_t *obj)
{
    const json_t *ann = get(obj, "metadata.annotations");
    const char *beta = json_string_value(json_object_get(ann, "volume.beta.kubernetes.io/storage-class"));
    if (beta)
        return beta;
    return str(obj, "spec.storageClassName");
}

static void
finalizers(struct d *d, const json_t *obj)
{
    char *f = sprint(get(obj, "metadata.finalizers"));
    wr(d, 0, "Finalizers:\t%s\n", f && strcmp(f, "<nil>") ? f : "[]");
    free(f);
}

static void
describe_pv(struct d *d, const json_t *pv)
{
    const json_t *spec = json_object_get(pv, "spec");
    char buf[256];
    wr(d, 0, "Name:\t%s\n", str(pv, "metadata.name"));
    labels_multiline(d, "", "Labels", get(pv, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(pv, "metadata.annotations"));
    finalizers(d, pv);
    wr(d, 0, "StorageClass:\t%s\n", storage_class(pv));
    if (has(pv, "metadata.deletionTimestamp")) {
        kctl_age(str(pv, "metadata.deletionTimestamp"), d->ctx->now, buf, sizeof(buf));
        wr(d, 0, "Status:\tTerminating (lasts %s)\n", buf);
    } else {
        wr(d, 0, "Status:\t%s\n", str(pv, "status.phase"));
    }
    if (has(spec, "claimRef"))
        wr(d, 0, "Claim:\t%s/%s\n", str(spec, "claimRef.namespace"), str(spec, "claimRef.name"));
    else
        wr(d, 0, "Claim:\t\n");
    wr(d, 0, "Reclaim Policy:\t%s\n", str(spec, "persistentVolumeReclaimPolicy"));
    access_modes(json_object_get(spec, "accessModes"), buf, sizeof(buf));
    wr(d, 0, "Access Modes:\t%s\n", buf);
    if (has(spec, "volumeMode"))
        wr(d, 0, "VolumeMode:\t%s\n", str(spec, "volumeMode"));
    quantity(get(spec, "capacity.storage"), buf, sizeof(buf));
    wr(d, 0, "Capacity:\t%s\n", buf);
    wr(d, 0, "Node Affinity:\t");
    if (!has(spec, "nodeAffinity.required")) {
        wr(d, 0, "<none>\n");
    } else {
        wr(d, 0, "\n");
        const json_t *terms = get(spec, "nodeAffinity.required.nodeSelectorTerms");
        wr(d, 1, "Required Terms:\t");
        if (!json_array_size(terms)) {
            wr(d, 0, "<none>\n");
        } else {
            wr(d, 0, "\n");
            size_t i;
            const json_t *t;
            json_array_foreach(terms, i, t)
            {
                wr(d, 2, "Term %zu:\t", i);
                const json_t *exprs = json_object_get(t, "matchExpressions");
                if (!json_array_size(exprs))
                    wr(d, 0, "<none>\n");
                size_t k;
                const json_t *e;
                json_array_foreach(exprs, k, e)
                {
                    if (k)
                        wr(d, 2, "\t");
                    char op[32];
                    snprintf(op, sizeof(op), "%s", str(e, "operator"));
                    for (char *c = op; *c; c++)
                        *c = (char)tolower((unsigned char)*c);
                    char vals[512];
                    join_strings(json_object_get(e, "values"), ", ", vals, sizeof(vals));
                    if (json_array_size(json_object_get(e, "values")))
                        wr(d, 0, "%s %s [%s]\n", str(e, "key"), op, vals);
                    else
                        wr(d, 0, "%s %s\n", str(e, "key"), op);
                }
            }
        }
    }
    wr(d, 0, "Message:\t%s\n", str(pv, "status.message"));
    wr(d, 0, "Source:\n");
    volume_source(d, spec, true);
    events(d);
}

static void
describe_pvc(struct d *d, const json_t *pvc)
{
    const json_t *spec = json_object_get(pvc, "spec");
    char buf[256];
    wr(d, 0, "Name:\t%s\n", str(pvc, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(pvc, "metadata.namespace"));
    wr(d, 0, "StorageClass:\t%s\n", storage_class(pvc));
    if (has(pvc, "metadata.deletionTimestamp")) {
        kctl_age(str(pvc, "metadata.deletionTimestamp"), d->ctx->now, buf, sizeof(buf));
        wr(d, 0, "Status:\tTerminating (lasts %s)\n", buf);
    } else {
        wr(d, 0, "Status:\t%s\n", str(pvc, "status.phase"));
    }
    wr(d, 0, "Volume:\t%s\n", str(spec, "volumeName"));
    labels_multiline(d, "", "Labels", get(pvc, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(pvc, "metadata.annotations"));
    finalizers(d, pvc);
    char cap[64] = "", modes[64] = "";
    if (*str(spec, "volumeName")) {
        access_modes(get(pvc, "status.accessModes"), modes, sizeof(modes));
        quantity(get(pvc, "status.capacity.storage"), cap, sizeof(cap));
    }
    wr(d, 0, "Capacity:\t%s\n", cap);
    wr(d, 0, "Access Modes:\t%s\n", modes);
    if (has(spec, "volumeMode"))
        wr(d, 0, "VolumeMode:\t%s\n", str(spec, "volumeMode"));
    if (has(spec, "dataSource")) {
        wr(d, 0, "DataSource:\n");
        if (has(spec, "dataSource.apiGroup"))
            wr(d, 1, "APIGroup:\t%s\n", str(spec, "dataSource.apiGroup"));
        wr(d, 1, "Kind:\t%s\n", str(spec, "dataSource.kind"));
        wr(d, 1, "Name:\t%s\n", str(spec, "dataSource.name"));
    }
    /* Used By: the pods mounting it, by name */
    wr(d, 0, "Used By:\t");
    size_t n = json_array_size(d->ctx->pods);
    if (n == 0) {
        wr(d, 0, "<none>\n");
    } else {
        const char **names = kc_calloc(n, sizeof(*names));
        for (size_t i = 0; names && i < n; i++)
            names[i] = str(json_array_get(d->ctx->pods, i), "metadata.name");
        if (names)
            qsort(names, n, sizeof(*names), cmp_keys);
        for (size_t i = 0; names && i < n; i++) {
            if (i)
                wr(d, 0, "\t");
            wr(d, 0, "%s\n", names[i]);
        }
        free(names);
    }
    const json_t *conds = get(pvc, "status.conditions");
    if (json_array_size(conds)) {
        wr(d, 0, "Conditions:\n");
        wr(d, 1, "Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage\n");
        wr(d, 1, "----\t------\t-----------------\t------------------\t------\t-------\n");
        size_t i;
        const json_t *c;
        json_array_foreach(conds, i, c)
        {
            char a[64], b[64];
            rfc1123z(json_string_value(json_object_get(c, "lastProbeTime")), a, sizeof(a));
            rfc1123z(json_string_value(json_object_get(c, "lastTransitionTime")), b, sizeof(b));
            wr(d, 1, "%s \t%s \t%s \t%s \t%s \t%s\n", str(c, "type"), str(c, "status"), a, b, str(c, "reason"),
               str(c, "message"));
        }
    }
    events(d);
}

static void
describe_configmap(struct d *d, const json_t *cm)
{
    wr(d, 0, "Name:\t%s\n", str(cm, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(cm, "metadata.namespace"));
    labels_multiline(d, "", "Labels", get(cm, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(cm, "metadata.annotations"));
    wr(d, 0, "\nData\n====\n");
    size_t n;
    const json_t *data = json_object_get(cm, "data");
    const char **keys = json_object_size(data) ? sorted_keys(data, &n) : NULL;
    for (size_t i = 0; keys && i < n; i++) {
        wr(d, 0, "%s:\n----\n", keys[i]);
        wr(d, 0, "%s\n", key_str(data, keys[i]));
        wr(d, 0, "\n");
    }
    free(keys);
    wr(d, 0, "\nBinaryData\n====\n");
    const json_t *bin = json_object_get(cm, "binaryData");
    keys = json_object_size(bin) ? sorted_keys(bin, &n) : NULL;
    for (size_t i = 0; keys && i < n; i++) {
        wr(d, 0, "%s: %zu bytes\n", keys[i], b64_len(key_str(bin, keys[i])));
    }
    free(keys);
    wr(d, 0, "\n");
    events(d);
}

static void
describe_secret(struct d *d, const json_t *s)
{
    wr(d, 0, "Name:\t%s\n", str(s, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(s, "metadata.namespace"));
    labels_multiline(d, "", "Labels", get(s, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(s, "metadata.annotations"));
    wr(d, 0, "\nType:\t%s\n", str(s, "type"));
    wr(d, 0, "\nData\n====\n");
    size_t n;
    const json_t *data = json_object_get(s, "data");
    const char **keys = json_object_size(data) ? sorted_keys(data, &n) : NULL;
    /* kubectl walks a Go map (random order); sorted here. Only a service account token's token is shown. */
    bool sa_token = strcmp(str(s, "type"), "kubernetes.io/service-account-token") == 0;
    for (size_t i = 0; keys && i < n; i++) {
        const char *b64 = key_str(data, keys[i]);
        size_t len = 0;
        uint8_t *raw = NULL;
        if (sa_token && strcmp(keys[i], "token") == 0 && kc_base64_decode(b64, strlen(b64), &raw, &len) != 0)
            raw = NULL;
        if (raw)
            wr(d, 0, "%s:\t%.*s\n", keys[i], (int)len, (const char *)raw);
        else
            wr(d, 0, "%s:\t%zu bytes\n", keys[i], b64_len(b64));
        free(raw);
    }
    free(keys);
}

static void quota_scopes(struct d *d, int level, const char *bullet, const json_t *scopes);
static void limitrange_rows(struct d *d, const json_t *lr, const char *prefix);

static void
describe_namespace(struct d *d, const json_t *ns)
{
    wr(d, 0, "Name:\t%s\n", str(ns, "metadata.name"));
    labels_multiline(d, "", "Labels", get(ns, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(ns, "metadata.annotations"));
    wr(d, 0, "Status:\t%s\n", str(ns, "status.phase"));
    const json_t *conds = get(ns, "status.conditions");
    if (json_array_size(conds)) {
        wr(d, 0, "Conditions:\n");
        wr(d, 1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n");
        wr(d, 1, "----\t------\t------------------\t------\t-------\n");
        size_t i;
        const json_t *c;
        json_array_foreach(conds, i, c)
        {
            char t[64];
            rfc1123z(json_string_value(json_object_get(c, "lastTransitionTime")), t, sizeof(t));
            wr(d, 1, "%s\t%s\t%s\t%s\t%s\n", str(c, "type"), str(c, "status"), t, str(c, "reason"), str(c, "message"));
        }
    }
    if (d->ctx->quotas) {
        wr(d, 0, "\n");
        if (!json_array_size(d->ctx->quotas)) {
            wr(d, 0, "No resource quota.\n");
        } else {
            wr(d, 0, "Resource Quotas\n");
            size_t i;
            const json_t *q;
            json_array_foreach(d->ctx->quotas, i, q)
            {
                wr(d, 1, "Name:\t%s\n", str(q, "metadata.name"));
                quota_scopes(d, 1, "* ", get(q, "spec.scopes"));
                wr(d, 1, "Resource\tUsed\tHard\n");
                wr(d, 1, "--------\t---\t---\n");
                size_t n;
                const json_t *hard = get(q, "status.hard");
                const char **keys = json_object_size(hard) ? sorted_keys(hard, &n) : NULL;
                for (size_t k = 0; keys && k < n; k++) {
                    char u[64], h[64];
                    quantity(json_object_get(get(q, "status.used"), keys[k]), u, sizeof(u));
                    quantity(json_object_get(hard, keys[k]), h, sizeof(h));
                    wr(d, 1, "%s\t%s\t%s\n", keys[k], u, h);
                }
                free(keys);
            }
        }
    }
    if (d->ctx->limitranges) {
        wr(d, 0, "\n");
        if (!json_array_size(d->ctx->limitranges))
            wr(d, 0, "No LimitRange resource.\n");
        else
            wr(d, 0,
               "Resource Limits\n Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request "
               "Ratio\n ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n");
        size_t i;
        const json_t *lr;
        json_array_foreach(d->ctx->limitranges, i, lr)
        {
            limitrange_rows(d, lr, " ");
        }
    }
}

/* True when a secret of that name is in the list of Secret objects. */
static bool
name_in_secrets(const json_t *secrets, const char *name)
{
    size_t i;
    const json_t *s;
    json_array_foreach(secrets, i, s)
    {
        if (strcmp(str(s, "metadata.name"), name) == 0)
            return true;
    }
    return false;
}

/* ServiceAccountDescriber: the image pull, mountable and token secrets under their padded headers; a secret the
 * account names that is not in d->secrets is "(not found)" (nothing is when the secrets could not be listed). */
static void
describe_serviceaccount(struct d *d, const json_t *sa)
{
    wr(d, 0, "Name:\t%s\n", str(sa, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(sa, "metadata.namespace"));
    labels_multiline(d, "", "Labels", get(sa, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(sa, "metadata.annotations"));
    json_t *tokens = json_array();
    size_t i;
    const json_t *s;
    json_array_foreach(d->secrets, i, s)
    {
        const json_t *ann = get(s, "metadata.annotations");
        if (strcmp(str(s, "type"), "kubernetes.io/service-account-token") == 0 &&
            strcmp(key_str(ann, "kubernetes.io/service-account.name"), str(sa, "metadata.name")) == 0 &&
            strcmp(key_str(ann, "kubernetes.io/service-account.uid"), str(sa, "metadata.uid")) == 0)
            json_array_append_new(tokens, json_pack("{s:s}", "name", str(s, "metadata.name")));
    }
    /* the headers in sorted order, as sets.List(sets.KeySet(types)) gives them */
    const struct {
        const char *header;
        const json_t *refs;
    } types[] = { { "Image pull secrets:", json_object_get(sa, "imagePullSecrets") },
                  { "Mountable secrets: ", json_object_get(sa, "secrets") },
                  { "Tokens:            ", tokens } };
    for (size_t t = 0; t < 3; t++) {
        if (!json_array_size(types[t].refs)) {
            wr(d, 0, "%s\t<none>\n", types[t].header);
            continue;
        }
        const char *prefix = types[t].header;
        const json_t *r;
        json_array_foreach(types[t].refs, i, r)
        {
            const char *name = str(r, "name");
            bool missing = d->secrets && t < 2 && !name_in_secrets(d->secrets, name);
            wr(d, 0, "%s\t%s%s\n", prefix, name, missing ? " (not found)" : "");
            prefix = "                   ";
        }
    }
    json_decref(tokens);
    events(d);
}

/* printBoolPtr: True, False or <unset>. */
static const char *
bool_ptr(const json_t *v)
{
    return !v || json_is_null(v) ? "<unset>" : json_is_true(v) ? "True" : "False";
}

/* strconv.Quote, as %q writes a string: quotes, backslash escapes, \u for other control characters. */
static void
go_quote(const char *s, char *buf, size_t len)
{
    size_t o = 0;
    if (len < 3) {
        if (len)
            buf[0] = '\0';
        return;
    }
    buf[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 8 < len; p++) {
        static const char esc[] = {
            ['\a'] = 'a', ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['\v'] = 'v'
        };
        if (*p == '"' || *p == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)*p;
        } else if (*p < 0x20 && esc[*p]) {
            buf[o++] = '\\';
            buf[o++] = esc[*p];
        } else if (*p < 0x20 || *p == 0x7f) {
            o += (size_t)snprintf(buf + o, len - o, "\\x%02x", *p);
        } else {
            buf[o++] = (char)*p;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

/* Quantity.String() of an optional quantity: "<nil>" for a missing one (a nil *Quantity). */
static void
quantity_ptr(const json_t *v, char *buf, size_t len)
{
    if (!v || json_is_null(v))
        snprintf(buf, len, "<nil>");
    else
        quantity(v, buf, len);
}

static void
describe_daemonset(struct d *d, const json_t *ds)
{
    const json_t *st = json_object_get(ds, "status");
    wr(d, 0, "Name:\t%s\n", str(ds, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(ds, "metadata.namespace"));
    char *sel = selector_string(get(ds, "spec.selector"), true);
    wr(d, 0, "Selector:\t%s\n", sel ? sel : "");
    free(sel);
    char *ns = kctl_format_labels(get(ds, "spec.template.spec.nodeSelector"));
    wr(d, 0, "Node-Selector:\t%s\n", ns ? ns : "<none>");
    free(ns);
    labels_multiline(d, "", "Labels", get(ds, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(ds, "metadata.annotations"));
    wr(d, 0, "Desired Number of Nodes Scheduled: %lld\n", num(st, "desiredNumberScheduled"));
    wr(d, 0, "Current Number of Nodes Scheduled: %lld\n", num(st, "currentNumberScheduled"));
    wr(d, 0, "Number of Nodes Scheduled with Up-to-date Pods: %lld\n", num(st, "updatedNumberScheduled"));
    wr(d, 0, "Number of Nodes Scheduled with Available Pods: %lld\n", num(st, "numberAvailable"));
    wr(d, 0, "Number of Nodes Misscheduled: %lld\n", num(st, "numberMisscheduled"));
    int r, w, s, f;
    pod_counts(d, ds, &r, &w, &s, &f);
    wr(d, 0, "Pods Status:\t%d Running / %d Waiting / %d Succeeded / %d Failed\n", r, w, s, f);
    pod_template(d, get(ds, "spec.template"));
    events(d);
}

/* Go's %v of a []string: "[a b]". */
static void
string_list(const json_t *arr, char *buf, size_t len)
{
    size_t o = (size_t)snprintf(buf, len, "[");
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (o < len)
            o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " " : "", json_string_value(v) ?: "");
    }
    if (o < len)
        snprintf(buf + o, len - o, "]");
}

static void
describe_statefulset(struct d *d, const json_t *ps)
{
    char t[64], buf[1024];
    wr(d, 0, "Name:\t%s\n", str(ps, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(ps, "metadata.namespace"));
    rfc1123z(str(ps, "metadata.creationTimestamp"), t, sizeof(t));
    wr(d, 0, "CreationTimestamp:\t%s\n", t);
    char *sel = selector_string(get(ps, "spec.selector"), true);
    wr(d, 0, "Selector:\t%s\n", sel ? sel : "");
    free(sel);
    labels_multiline(d, "", "Labels", get(ps, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(ps, "metadata.annotations"));
    wr(d, 0, "Replicas:\t%lld desired | %lld total\n", has(ps, "spec.replicas") ? num(ps, "spec.replicas") : 1,
       num(ps, "status.replicas"));
    wr(d, 0, "Update Strategy:\t%s\n", str(ps, "spec.updateStrategy.type"));
    const json_t *ru = get(ps, "spec.updateStrategy.rollingUpdate");
    if (ru && !json_is_null(ru) && has(ru, "partition")) {
        wr(d, 1, "Partition:\t%lld\n", num(ru, "partition"));
        if (has(ru, "maxUnavailable")) {
            char *mu = int_or_string(json_object_get(ru, "maxUnavailable"));
            wr(d, 1, "MaxUnavailable:\t%s\n", mu ? mu : "");
            free(mu);
        }
    }
    int r, w, s, f;
    pod_counts(d, ps, &r, &w, &s, &f);
    wr(d, 0, "Pods Status:\t%d Running / %d Waiting / %d Succeeded / %d Failed\n", r, w, s, f);
    pod_template(d, get(ps, "spec.template"));
    const json_t *vct = get(ps, "spec.volumeClaimTemplates");
    if (!json_array_size(vct)) {
        wr(d, 0, "Volume Claims:\t<none>\n");
    } else {
        wr(d, 0, "Volume Claims:\n");
        size_t i;
        const json_t *pvc;
        json_array_foreach(vct, i, pvc)
        {
            wr(d, 1, "Name:\t%s\n", str(pvc, "metadata.name"));
            wr(d, 1, "StorageClass:\t%s\n", storage_class(pvc));
            labels_multiline(d, "  ", "Labels", get(pvc, "metadata.labels"));
            labels_multiline(d, "  ", "Annotations", get(pvc, "metadata.annotations"));
            const json_t *cap = json_object_get(get(pvc, "spec.resources.requests"), "storage");
            if (cap) {
                quantity(cap, buf, sizeof(buf));
                wr(d, 1, "Capacity:\t%s\n", buf);
            } else {
                wr(d, 1, "Capacity:\t%s\n", "<default>");
            }
            string_list(get(pvc, "spec.accessModes"), buf, sizeof(buf));
            wr(d, 1, "Access Modes:\t%s\n", buf);
        }
    }
    events(d);
}

static void
describe_cronjob(struct d *d, const json_t *cj)
{
    const json_t *spec = json_object_get(cj, "spec");
    char t[64];
    wr(d, 0, "Name:\t%s\n", str(cj, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(cj, "metadata.namespace"));
    labels_multiline(d, "", "Labels", get(cj, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(cj, "metadata.annotations"));
    wr(d, 0, "Schedule:\t%s\n", str(spec, "schedule"));
    wr(d, 0, "Concurrency Policy:\t%s\n", str(spec, "concurrencyPolicy"));
    wr(d, 0, "Suspend:\t%s\n", bool_ptr(json_object_get(spec, "suspend")));
    if (has(spec, "successfulJobsHistoryLimit"))
        wr(d, 0, "Successful Job History Limit:\t%lld\n", num(spec, "successfulJobsHistoryLimit"));
    else
        wr(d, 0, "Successful Job History Limit:\t<unset>\n");
    if (has(spec, "failedJobsHistoryLimit"))
        wr(d, 0, "Failed Job History Limit:\t%lld\n", num(spec, "failedJobsHistoryLimit"));
    else
        wr(d, 0, "Failed Job History Limit:\t<unset>\n");
    if (has(spec, "startingDeadlineSeconds"))
        wr(d, 0, "Starting Deadline Seconds:\t%llds\n", num(spec, "startingDeadlineSeconds"));
    else
        wr(d, 0, "Starting Deadline Seconds:\t<unset>\n");
    /* describeJobTemplate */
    const json_t *js = get(spec, "jobTemplate.spec");
    if (has(js, "selector")) {
        char *sel = selector_string(get(js, "selector"), true);
        wr(d, 0, "Selector:\t%s\n", sel ? sel : "");
        free(sel);
    } else {
        wr(d, 0, "Selector:\t<unset>\n");
    }
    if (has(js, "parallelism"))
        wr(d, 0, "Parallelism:\t%lld\n", num(js, "parallelism"));
    else
        wr(d, 0, "Parallelism:\t<unset>\n");
    if (has(js, "completions"))
        wr(d, 0, "Completions:\t%lld\n", num(js, "completions"));
    else
        wr(d, 0, "Completions:\t<unset>\n");
    if (has(js, "activeDeadlineSeconds"))
        wr(d, 0, "Active Deadline Seconds:\t%llds\n", num(js, "activeDeadlineSeconds"));
    pod_template(d, get(js, "template"));
    if (has(cj, "status.lastScheduleTime")) {
        rfc1123z(str(cj, "status.lastScheduleTime"), t, sizeof(t));
        wr(d, 0, "Last Schedule Time:\t%s\n", t);
    } else {
        wr(d, 0, "Last Schedule Time:\t<unset>\n");
    }
    wr(d, 0, "Active Jobs:\t");
    const json_t *active = get(cj, "status.active");
    if (!json_array_size(active))
        wr(d, 0, "<none>");
    size_t i;
    const json_t *j;
    json_array_foreach(active, i, j) wr(d, 0, "%s%s", i ? ", " : "", str(j, "name"));
    wr(d, 0, "\n");
    events(d);
}

/* The current value of HPA metric i (status.currentMetrics[i].<type>), or NULL. */
static const json_t *
hpa_current(const json_t *hpa, size_t i, const char *type)
{
    return json_object_get(json_array_get(get(hpa, "status.currentMetrics"), i), type);
}

/* One metric line of describeHorizontalPodAutoscalerV2. */
static void
hpa_metric(struct d *d, const json_t *hpa, size_t i, const json_t *m)
{
    char cur[256], tgt[128], q[128];
    const char *type = str(m, "type");
    if (strcmp(type, "External") == 0) {
        const json_t *ext = json_object_get(m, "external"), *c = hpa_current(hpa, i, "external");
        go_quote(str(ext, "metric.name"), q, sizeof(q));
        if (has(ext, "target.averageValue")) {
            if (c && has(c, "current.averageValue"))
                quantity(get(c, "current.averageValue"), cur, sizeof(cur));
            else
                snprintf(cur, sizeof(cur), "<unknown>");
            quantity(get(ext, "target.averageValue"), tgt, sizeof(tgt));
            wr(d, 1, "%s (target average value):\t%s / %s\n", q, cur, tgt);
        } else {
            if (c)
                quantity_ptr(get(c, "current.value"), cur, sizeof(cur));
            else
                snprintf(cur, sizeof(cur), "<unknown>");
            quantity_ptr(get(ext, "target.value"), tgt, sizeof(tgt));
            wr(d, 1, "%s (target value):\t%s / %s\n", q, cur, tgt);
        }
    } else if (strcmp(type, "Pods") == 0) {
        const json_t *pods = json_object_get(m, "pods"), *c = hpa_current(hpa, i, "pods");
        go_quote(str(pods, "metric.name"), q, sizeof(q));
        if (c)
            quantity_ptr(get(c, "current.averageValue"), cur, sizeof(cur));
        else
            snprintf(cur, sizeof(cur), "<unknown>");
        quantity_ptr(get(pods, "target.averageValue"), tgt, sizeof(tgt));
        wr(d, 1, "%s on pods:\t%s / %s\n", q, cur, tgt);
    } else if (strcmp(type, "Object") == 0) {
        const json_t *obj = json_object_get(m, "object"), *c = hpa_current(hpa, i, "object");
        wr(d, 1, "\"%s\" on %s/%s ", str(obj, "metric.name"), str(obj, "describedObject.kind"),
           str(obj, "describedObject.name"));
        bool avg = strcmp(str(obj, "target.type"), "AverageValue") == 0;
        if (c)
            quantity_ptr(get(c, avg ? "current.averageValue" : "current.value"), cur, sizeof(cur));
        else
            snprintf(cur, sizeof(cur), "<unknown>");
        quantity_ptr(get(obj, avg ? "target.averageValue" : "target.value"), tgt, sizeof(tgt));
        wr(d, 0, "%s:\t%s / %s\n", avg ? "(target average value)" : "(target value)", cur, tgt);
    } else if (strcmp(type, "Resource") == 0 || strcmp(type, "ContainerResource") == 0) {
        bool cr = strcmp(type, "ContainerResource") == 0;
        const char *key = cr ? "containerResource" : "resource";
        const json_t *res = json_object_get(m, key), *c = hpa_current(hpa, i, key);
        if (cr)
            wr(d, 1, "resource %s of container \"%s\" on pods", str(res, "name"), str(res, "container"));
        else
            wr(d, 1, "resource %s on pods", str(res, "name"));
        if (has(res, "target.averageValue")) {
            if (c)
                quantity_ptr(get(c, "current.averageValue"), cur, sizeof(cur));
            else
                snprintf(cur, sizeof(cur), "<unknown>");
            quantity(get(res, "target.averageValue"), tgt, sizeof(tgt));
            wr(d, 0, ":\t%s / %s\n", cur, tgt);
        } else {
            if (c && has(c, "current.averageUtilization")) {
                quantity_ptr(get(c, "current.averageValue"), q, sizeof(q));
                snprintf(cur, sizeof(cur), "%lld%% (%s)", num(c, "current.averageUtilization"), q);
            } else {
                snprintf(cur, sizeof(cur), "<unknown>");
            }
            if (has(res, "target.averageUtilization"))
                snprintf(tgt, sizeof(tgt), "%lld%%", num(res, "target.averageUtilization"));
            else
                snprintf(tgt, sizeof(tgt), "<auto>");
            wr(d, 1, "(as a percentage of request):\t%s / %s\n", cur, tgt);
        }
    } else {
        go_quote(type, q, sizeof(q));
        wr(d, 1, "<unknown metric type %s>\n", q);
    }
}

static void
hpa_direction(struct d *d, const char *direction, const json_t *rules)
{
    if (!rules || json_is_null(rules))
        return;
    wr(d, 1, "%s:\n", direction);
    if (has(rules, "stabilizationWindowSeconds"))
        wr(d, 2, "Stabilization Window: %lld seconds\n", num(rules, "stabilizationWindowSeconds"));
    const json_t *policies = json_object_get(rules, "policies");
    if (json_array_size(policies)) {
        wr(d, 2, "Select Policy: %s\n", has(rules, "selectPolicy") ? str(rules, "selectPolicy") : "Max");
        wr(d, 2, "Policies:\n");
        size_t i;
        const json_t *p;
        json_array_foreach(policies, i, p) wr(d, 3, "- Type: %s\tValue: %lld\tPeriod: %lld seconds\n", str(p, "type"),
                                              num(p, "value"), num(p, "periodSeconds"));
    }
}

static void
describe_hpa(struct d *d, const json_t *hpa)
{
    const json_t *spec = json_object_get(hpa, "spec");
    char t[64];
    wr(d, 0, "Name:\t%s\n", str(hpa, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(hpa, "metadata.namespace"));
    labels_multiline(d, "", "Labels", get(hpa, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(hpa, "metadata.annotations"));
    rfc1123z(str(hpa, "metadata.creationTimestamp"), t, sizeof(t));
    wr(d, 0, "CreationTimestamp:\t%s\n", t);
    wr(d, 0, "Reference:\t%s/%s\n", str(spec, "scaleTargetRef.kind"), str(spec, "scaleTargetRef.name"));
    wr(d, 0, "Metrics:\t( current / target )\n");
    size_t i;
    const json_t *m;
    json_array_foreach(json_object_get(spec, "metrics"), i, m) hpa_metric(d, hpa, i, m);
    if (has(spec, "minReplicas"))
        wr(d, 0, "Min replicas:\t%lld\n", num(spec, "minReplicas"));
    else
        wr(d, 0, "Min replicas:\t<unset>\n");
    wr(d, 0, "Max replicas:\t%lld\n", num(spec, "maxReplicas"));
    if (has(spec, "behavior")) {
        wr(d, 0, "Behavior:\n");
        hpa_direction(d, "Scale Up", get(spec, "behavior.scaleUp"));
        hpa_direction(d, "Scale Down", get(spec, "behavior.scaleDown"));
    }
    wr(d, 0, "%s pods:\t", str(spec, "scaleTargetRef.kind"));
    wr(d, 0, "%lld current / %lld desired\n", num(hpa, "status.currentReplicas"), num(hpa, "status.desiredReplicas"));
    const json_t *conds = get(hpa, "status.conditions");
    if (json_array_size(conds)) {
        wr(d, 0, "Conditions:\n");
        wr(d, 1, "Type\tStatus\tReason\tMessage\n");
        wr(d, 1, "----\t------\t------\t-------\n");
        const json_t *c;
        json_array_foreach(conds, i, c)
            wr(d, 1, "%s\t%s\t%s\t%s\n", str(c, "type"), str(c, "status"), str(c, "reason"), str(c, "message"));
    }
    events(d);
}

/* The IPs of an Endpoints address list, joined by ",", "<none>" when empty. */
static void
endpoint_ips(const json_t *addrs, char *buf, size_t len)
{
    buf[0] = '\0';
    size_t i;
    const json_t *a;
    json_array_foreach(addrs, i, a) snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "," : "", str(a, "ip"));
    if (!buf[0])
        snprintf(buf, len, "<none>");
}

static void
describe_endpoints(struct d *d, const json_t *ep)
{
    char buf[4096];
    wr(d, 0, "Name:\t%s\n", str(ep, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(ep, "metadata.namespace"));
    labels_multiline(d, "", "Labels", get(ep, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(ep, "metadata.annotations"));
    wr(d, 0, "Subsets:\n");
    size_t i;
    const json_t *ss;
    json_array_foreach(json_object_get(ep, "subsets"), i, ss)
    {
        endpoint_ips(json_object_get(ss, "addresses"), buf, sizeof(buf));
        wr(d, 1, "Addresses:\t%s\n", buf);
        endpoint_ips(json_object_get(ss, "notReadyAddresses"), buf, sizeof(buf));
        wr(d, 1, "NotReadyAddresses:\t%s\n", buf);
        const json_t *ports = json_object_get(ss, "ports");
        if (json_array_size(ports)) {
            wr(d, 1, "Ports:\n");
            wr(d, 2, "Name\tPort\tProtocol\n");
            wr(d, 2, "----\t----\t--------\n");
            size_t k;
            const json_t *p;
            json_array_foreach(ports, k, p) wr(d, 2, "%s\t%lld\t%s\n", *str(p, "name") ? str(p, "name") : "<unset>",
                                               num(p, "port"), str(p, "protocol"));
        }
        wr(d, 0, "\n");
    }
    events(d);
}

static void
describe_endpointslice(struct d *d, const json_t *eps)
{
    char buf[4096];
    wr(d, 0, "Name:\t%s\n", str(eps, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(eps, "metadata.namespace"));
    labels_multiline(d, "", "Labels", get(eps, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(eps, "metadata.annotations"));
    wr(d, 0, "AddressType:\t%s\n", str(eps, "addressType"));
    const json_t *ports = json_object_get(eps, "ports");
    size_t i;
    const json_t *p;
    if (!json_array_size(ports)) {
        wr(d, 0, "Ports: <unset>\n");
    } else {
        wr(d, 0, "Ports:\n");
        wr(d, 1, "Name\tPort\tProtocol\n");
        wr(d, 1, "----\t----\t--------\n");
        json_array_foreach(ports, i, p)
        {
            char port[32] = "<unset>";
            if (has(p, "port"))
                snprintf(port, sizeof(port), "%lld", num(p, "port"));
            wr(d, 1, "%s\t%s\t%s\n", *str(p, "name") ? str(p, "name") : "<unset>", port, str(p, "protocol"));
        }
    }
    const json_t *eplist = json_object_get(eps, "endpoints");
    if (!json_array_size(eplist)) {
        wr(d, 0, "Endpoints: <none>\n");
    } else {
        wr(d, 0, "Endpoints:\n");
        const json_t *e;
        json_array_foreach(eplist, i, e)
        {
            join_strings(json_object_get(e, "addresses"), ", ", buf, sizeof(buf));
            wr(d, 1, "- Addresses:\t%s\n", *buf ? buf : "<none>");
            wr(d, 2, "Conditions:\n");
            const json_t *ready = get(e, "conditions.ready");
            wr(d, 3, "Ready:\t%s\n",
               !ready || json_is_null(ready) ? "<unset>"
               : json_is_true(ready)         ? "true"
                                             : "false");
            wr(d, 2, "Hostname:\t%s\n", has(e, "hostname") ? str(e, "hostname") : "<unset>");
            if (has(e, "targetRef"))
                wr(d, 2, "TargetRef:\t%s/%s\n", str(e, "targetRef.kind"), str(e, "targetRef.name"));
            wr(d, 2, "NodeName:\t%s\n", has(e, "nodeName") ? str(e, "nodeName") : "<unset>");
            wr(d, 2, "Zone:\t%s\n", has(e, "zone") ? str(e, "zone") : "<unset>");
        }
    }
    events(d);
}

static void
describe_storageclass(struct d *d, const json_t *sc)
{
    const json_t *ann = get(sc, "metadata.annotations");
    const char *def = json_string_value(json_object_get(ann, "storageclass.kubernetes.io/is-default-class"));
    const char *beta = json_string_value(json_object_get(ann, "storageclass.beta.kubernetes.io/is-default-class"));
    bool is_default = (def && strcmp(def, "true") == 0) || (beta && strcmp(beta, "true") == 0);
    wr(d, 0, "Name:\t%s\n", str(sc, "metadata.name"));
    wr(d, 0, "IsDefaultClass:\t%s\n", is_default ? "Yes" : "No");
    char *a = kctl_format_labels(ann);
    wr(d, 0, "Annotations:\t%s\n", a ? a : "<none>");
    free(a);
    wr(d, 0, "Provisioner:\t%s\n", str(sc, "provisioner"));
    char *params = kctl_format_labels(json_object_get(sc, "parameters"));
    wr(d, 0, "Parameters:\t%s\n", params ? params : "<none>");
    free(params);
    wr(d, 0, "AllowVolumeExpansion:\t%s\n", bool_ptr(json_object_get(sc, "allowVolumeExpansion")));
    const json_t *mo = json_object_get(sc, "mountOptions");
    size_t i;
    const json_t *v;
    if (!json_array_size(mo)) {
        wr(d, 0, "MountOptions:\t<none>\n");
    } else {
        wr(d, 0, "MountOptions:\n");
        json_array_foreach(mo, i, v) wr(d, 1, "%s\n", json_string_value(v) ?: "");
    }
    if (has(sc, "reclaimPolicy"))
        wr(d, 0, "ReclaimPolicy:\t%s\n", str(sc, "reclaimPolicy"));
    if (has(sc, "volumeBindingMode"))
        wr(d, 0, "VolumeBindingMode:\t%s\n", str(sc, "volumeBindingMode"));
    const json_t *topo = json_object_get(sc, "allowedTopologies");
    if (topo && !json_is_null(topo)) {
        wr(d, 0, "AllowedTopologies:\t");
        if (!json_array_size(topo))
            wr(d, 0, "<none>\n");
        else
            wr(d, 0, "\n");
        const json_t *term;
        json_array_foreach(topo, i, term)
        {
            wr(d, 1, "Term %zu:\t", i);
            const json_t *reqs = json_object_get(term, "matchLabelExpressions");
            if (!json_array_size(reqs))
                wr(d, 0, "<none>\n");
            size_t k;
            const json_t *r;
            json_array_foreach(reqs, k, r)
            {
                if (k)
                    wr(d, 1, "\t");
                char vals[2048];
                join_strings(json_object_get(r, "values"), ", ", vals, sizeof(vals));
                if (json_array_size(json_object_get(r, "values")))
                    wr(d, 0, "%s in [%s]\n", str(r, "key"), vals);
                else
                    wr(d, 0, "%s in\n", str(r, "key"));
            }
        }
    }
    events(d);
}

static void
describe_ingressclass(struct d *d, const json_t *ic)
{
    wr(d, 0, "Name:\t%s\n", str(ic, "metadata.name"));
    labels_multiline(d, "", "Labels", get(ic, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(ic, "metadata.annotations"));
    wr(d, 0, "Controller:\t%s\n", str(ic, "spec.controller"));
    const json_t *p = get(ic, "spec.parameters");
    if (p && !json_is_null(p)) {
        wr(d, 0, "Parameters:\n");
        if (has(p, "apiGroup"))
            wr(d, 1, "APIGroup:\t%s\n", str(p, "apiGroup"));
        wr(d, 1, "Kind:\t%s\n", str(p, "kind"));
        wr(d, 1, "Name:\t%s\n", str(p, "name"));
    }
    events(d);
}

/* --- RBAC roles and bindings, resource quotas, limit ranges -------------------------------------------------- */

/* Go's %v of a []string: "[a b]", "[]" for nil or empty. */
static void
go_list(struct kc_sb *b, const json_t *arr)
{
    kc_sb_str(b, "[");
    size_t i;
    const json_t *s;
    json_array_foreach(arr, i, s)
    {
        if (i)
            kc_sb_str(b, " ");
        kc_sb_str(b, json_is_string(s) ? json_string_value(s) : "");
    }
    kc_sb_str(b, "]");
}

/* A one-element string array. */
static json_t *
one(const json_t *s)
{
    return json_pack("[s]", json_is_string(s) ? json_string_value(s) : "");
}

/* rbac.BreakdownRule: one rule per API group x resource x verb (x resource name), and per non-resource URL x
 * verb. A rule with resources but no API groups yields nothing, as upstream's loops do. */
static void
breakdown_rule(const json_t *rule, json_t *out)
{
    const json_t *groups = get(rule, "apiGroups"), *res = get(rule, "resources"), *verbs = get(rule, "verbs");
    const json_t *names = get(rule, "resourceNames"), *urls = get(rule, "nonResourceURLs");
    size_t i, j, k, l;
    const json_t *g, *r, *v, *n, *u;
    json_array_foreach(groups, i, g)
    {
        json_array_foreach(res, j, r)
        {
            json_array_foreach(verbs, k, v)
            {
                if (json_array_size(names)) {
                    json_array_foreach(names, l, n)
                    {
                        json_array_append_new(out, json_pack("{s:o,s:o,s:o,s:o}", "apiGroups", one(g), "resources",
                                                             one(r), "verbs", one(v), "resourceNames", one(n)));
                    }
                } else {
                    json_array_append_new(
                        out, json_pack("{s:o,s:o,s:o}", "apiGroups", one(g), "resources", one(r), "verbs", one(v)));
                }
            }
        }
    }
    json_array_foreach(urls, i, u)
    {
        json_array_foreach(verbs, k, v)
        {
            json_array_append_new(out, json_pack("{s:o,s:o}", "nonResourceURLs", one(u), "verbs", one(v)));
        }
    }
}

/* The generated PolicyRule.String() that kubectl sorts the compacted rules by. */
static char *
rule_string(const json_t *rule)
{
    struct kc_sb b = { 0 };
    static const char *const fields[][2] = { { "Verbs", "verbs" },
                                             { "APIGroups", "apiGroups" },
                                             { "Resources", "resources" },
                                             { "ResourceNames", "resourceNames" },
                                             { "NonResourceURLs", "nonResourceURLs" } };
    kc_sb_str(&b, "&PolicyRule{");
    for (size_t i = 0; i < 5; i++) {
        kc_sb_str(&b, fields[i][0]);
        kc_sb_str(&b, ":");
        go_list(&b, get(rule, fields[i][1]));
        kc_sb_str(&b, ",");
    }
    kc_sb_str(&b, "}");
    return kc_sb_take(&b);
}

struct sorted_rule {
    const json_t *rule;
    char *key;
    size_t index;
};

static int
cmp_rule(const void *a, const void *b)
{
    const struct sorted_rule *x = a, *y = b;
    int c = strcmp(x->key ? x->key : "", y->key ? y->key : "");
    return c ? c : (x->index > y->index) - (x->index < y->index); /* sort.Stable */
}

/* kubectl's RoleDescriber and ClusterRoleDescriber: the rules broken down, compacted (the rules of one API group,
 * one resource and at most one resource name merge their verbs) and sorted by their String(). */
static void
describe_role(struct d *d, const json_t *role)
{
    wr(d, 0, "Name:\t%s\n", str(role, "metadata.name"));
    labels_multiline(d, "", "Labels", get(role, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(role, "metadata.annotations"));
    wr(d, 0, "PolicyRule:\n");
    wr(d, 1, "Resources\tNon-Resource URLs\tResource Names\tVerbs\n");
    wr(d, 1, "---------\t-----------------\t--------------\t-----\n");

    json_t *broken = json_array(), *compact = json_array(), *simple = json_array(), *index = json_object();
    if (!broken || !compact || !simple || !index)
        goto out;
    size_t i;
    const json_t *rule;
    json_array_foreach(get(role, "rules"), i, rule)
    {
        breakdown_rule(rule, broken);
    }
    /* compactRules: the simple rules (all the resource ones a breakdown makes) merge by group, resource and name;
     * upstream appends them after the others in map order, which the stable sort below makes irrelevant */
    json_array_foreach(broken, i, rule)
    {
        if (get(rule, "nonResourceURLs")) {
            json_array_append(compact, (json_t *)rule);
            continue;
        }
        const json_t *names = get(rule, "resourceNames");
        char *key = NULL;
        if (asprintf(&key, "%s\n%s\n%s%s", json_string_value(json_array_get(get(rule, "apiGroups"), 0)),
                     json_string_value(json_array_get(get(rule, "resources"), 0)), names ? "1" : "0",
                     names ? json_string_value(json_array_get(names, 0)) : "") < 0)
            goto out;
        json_t *have = json_object_get(index, key);
        if (have)
            json_array_extend(json_object_get(have, "verbs"), (json_t *)get(rule, "verbs"));
        else {
            json_t *copy = json_deep_copy(rule);
            json_object_set(index, key, copy);
            json_array_append_new(simple, copy);
        }
        free(key);
    }
    json_array_extend(compact, simple);

    size_t n = json_array_size(compact);
    struct sorted_rule *sorted = n ? kc_calloc(n, sizeof(*sorted)) : NULL;
    if (n && !sorted)
        goto out;
    json_array_foreach(compact, i, rule)
    {
        sorted[i] = (struct sorted_rule){ rule, rule_string(rule), i };
    }
    qsort(sorted, n, sizeof(*sorted), cmp_rule);
    for (i = 0; i < n; i++) {
        const json_t *r = sorted[i].rule, *res = get(r, "resources"), *groups = get(r, "apiGroups");
        struct kc_sb b = { 0 };
        /* CombineResourceGroup: "resource.group", a subresource after it ("pods.x/log") */
        if (json_array_size(res)) {
            const char *r0 = json_string_value(json_array_get(res, 0)), *slash = strchr(r0 ? r0 : "", '/');
            const char *g0 = json_string_value(json_array_get(groups, 0));
            kc_sb_add(&b, r0 ? r0 : "", slash ? (size_t)(slash - r0) : strlen(r0 ? r0 : ""));
            if (g0 && *g0) {
                kc_sb_str(&b, ".");
                kc_sb_str(&b, g0);
            }
            if (slash)
                kc_sb_str(&b, slash);
        }
        kc_sb_str(&b, "\t");
        go_list(&b, get(r, "nonResourceURLs"));
        kc_sb_str(&b, "\t");
        go_list(&b, get(r, "resourceNames"));
        kc_sb_str(&b, "\t");
        go_list(&b, get(r, "verbs"));
        char *line = kc_sb_take(&b);
        if (line)
            wr(d, 1, "%s\n", line);
        free(line);
        free(sorted[i].key);
    }
    free(sorted);
out:
    json_decref(broken);
    json_decref(compact);
    json_decref(simple);
    json_decref(index);
}

/* kubectl's RoleBindingDescriber and ClusterRoleBindingDescriber. */
static void
describe_rolebinding(struct d *d, const json_t *rb)
{
    wr(d, 0, "Name:\t%s\n", str(rb, "metadata.name"));
    labels_multiline(d, "", "Labels", get(rb, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(rb, "metadata.annotations"));
    wr(d, 0, "Role:\n");
    wr(d, 1, "Kind:\t%s\n", str(rb, "roleRef.kind"));
    wr(d, 1, "Name:\t%s\n", str(rb, "roleRef.name"));
    wr(d, 0, "Subjects:\n");
    wr(d, 1, "Kind\tName\tNamespace\n");
    wr(d, 1, "----\t----\t---------\n");
    size_t i;
    const json_t *s;
    json_array_foreach(get(rb, "subjects"), i, s)
    {
        wr(d, 1, "%s\t%s\t%s\n", str(s, "kind"), str(s, "name"), str(s, "namespace"));
    }
}

/* helpTextForResourceQuotaScope */
static const char *
scope_help(const char *scope)
{
    if (strcmp(scope, "Terminating") == 0)
        return "Matches all pods that have an active deadline. These pods have a limited lifespan on a node before "
               "being actively terminated by the system.";
    if (strcmp(scope, "NotTerminating") == 0)
        return "Matches all pods that do not have an active deadline. These pods usually include long running pods "
               "whose container command is not expected to terminate.";
    if (strcmp(scope, "BestEffort") == 0)
        return "Matches all pods that do not have resource requirements set. These pods have a best effort quality "
               "of service.";
    if (strcmp(scope, "NotBestEffort") == 0)
        return "Matches all pods that have at least one resource requirement set. These pods have a burstable or "
               "guaranteed quality of service.";
    return "";
}

static int
cmp_scope(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The "Scopes:" line and each scope's help text (prefix: " * " at the top level, "* " inside a namespace). */
static void
quota_scopes(struct d *d, int level, const char *bullet, const json_t *scopes)
{
    size_t n = json_array_size(scopes), i;
    if (!n)
        return;
    const char **v = kc_calloc(n, sizeof(*v));
    if (!v)
        return;
    const json_t *s;
    json_array_foreach(scopes, i, s)
    {
        v[i] = json_is_string(s) ? json_string_value(s) : "";
    }
    qsort(v, n, sizeof(*v), cmp_scope);
    struct kc_sb b = { 0 };
    for (i = 0; i < n; i++) {
        if (i)
            kc_sb_str(&b, ", ");
        kc_sb_str(&b, v[i]);
    }
    char *joined = kc_sb_take(&b);
    wr(d, level, "Scopes:\t%s\n", joined ? joined : "");
    free(joined);
    for (i = 0; i < n; i++)
        if (*scope_help(v[i]))
            wr(d, level, "%s%s\n", bullet, scope_help(v[i]));
    free(v);
}

/* kubectl's describeQuota: status.hard in sorted order with the used amount, converted to the hard value's
 * format (and so rounded up to a whole number) when the two differ; no controller fills in the status yet. */
static void
describe_quota(struct d *d, const json_t *q)
{
    wr(d, 0, "Name:\t%s\n", str(q, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(q, "metadata.namespace"));
    quota_scopes(d, 0, " * ", get(q, "spec.scopes"));
    wr(d, 0, "Resource\tUsed\tHard\n");
    wr(d, 0, "--------\t----\t----\n");
    size_t n;
    const json_t *hard = get(q, "status.hard"), *used = get(q, "status.used");
    const char **keys = json_object_size(hard) ? sorted_keys(hard, &n) : NULL;
    for (size_t k = 0; keys && k < n; k++) {
        struct kc_quantity hq, uq;
        char h[64], u[64], tmp[KC_QUANTITY_STRLEN];
        quantity(json_object_get(hard, keys[k]), h, sizeof(h));
        const json_t *uv = json_object_get(used, keys[k]);
        bool have_h = kc_quantity_from_json(json_object_get(hard, keys[k]), &hq, NULL, 0) == 0;
        if (uv && kc_quantity_from_json(uv, &uq, NULL, 0) == 0) {
            if (have_h && uq.format != hq.format && kc_quantity_from_value(kc_quantity_value(&uq), hq.format, &uq) == 0)
                snprintf(u, sizeof(u), "%s", kc_quantity_string(&uq, tmp));
            else
                snprintf(u, sizeof(u), "%s", kc_quantity_string(&uq, tmp));
        } else {
            snprintf(u, sizeof(u), "0");
        }
        wr(d, 0, "%s\t%s\t%s\n", keys[k], u, h);
    }
    free(keys);
}

/* describeLimitRangeSpec: one row per limit and resource (in sorted order: upstream walks a Go map), "-" for a
 * value the limit does not set. */
static void
limitrange_rows(struct d *d, const json_t *lr, const char *prefix)
{
    static const char *const maps[] = { "max", "min", "default", "defaultRequest", "maxLimitRequestRatio" };
    size_t i;
    const json_t *item;
    json_array_foreach(get(lr, "spec.limits"), i, item)
    {
        json_t *set = json_object();
        if (!set)
            return;
        for (size_t m = 0; m < 5; m++) {
            const char *k;
            json_t *v;
            json_object_foreach(json_object_get(item, maps[m]), k, v)
            {
                json_object_set_new(set, k, json_true());
            }
        }
        size_t n;
        const char **keys = json_object_size(set) ? sorted_keys(set, &n) : NULL;
        for (size_t k = 0; keys && k < n; k++) {
            char val[5][64];
            for (size_t m = 0; m < 5; m++) {
                const json_t *v = json_object_get(json_object_get(item, maps[m]), keys[k]);
                if (v)
                    quantity(v, val[m], sizeof(val[m]));
                else
                    snprintf(val[m], sizeof(val[m]), "-");
            }
            wr(d, 0, "%s%s\t%s\t%s\t%s\t%s\t%s\t%s\n", prefix, str(item, "type"), keys[k], val[1], val[0], val[3],
               val[2], val[4]);
        }
        free(keys);
        json_decref(set);
    }
}

static void
describe_limitrange(struct d *d, const json_t *lr)
{
    wr(d, 0, "Name:\t%s\n", str(lr, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(lr, "metadata.namespace"));
    wr(d, 0, "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n");
    wr(d, 0, "----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n");
    limitrange_rows(d, lr, "");
}

/* --- the generic describer ----------------------------------------------------------------------------------- */

static int
char_class(char c)
{
    return islower((unsigned char)c) ? 1 : isupper((unsigned char)c) ? 2 : isdigit((unsigned char)c) ? 3 : 4;
}

/* smartLabelFor: "apiVersion" -> "API Version", "creationTimestamp" -> "Creation Timestamp"; names with other
 * characters than letters and '-' stay as they are. */
static void
smart_label(const char *field, char *buf, size_t len)
{
    for (const char *p = field; *p; p++)
        if (!isalpha((unsigned char)*p) && *p != '-') {
            snprintf(buf, len, "%s", field);
            return;
        }
    /* camelcase.Split: runs of one character class; an upper run followed by lower gives its last letter away */
    char parts[32][64];
    int np = 0;
    size_t n = strlen(field);
    for (size_t i = 0; i < n && np < 32;) {
        size_t j = i;
        int cls = char_class(field[i]);
        while (j < n && char_class(field[j]) == cls)
            j++;
        snprintf(parts[np++], sizeof(parts[0]), "%.*s", (int)(j - i), field + i);
        i = j;
    }
    for (int i = 0; i + 1 < np; i++) {
        size_t l = strlen(parts[i]);
        if (l > 0 && char_class(parts[i][0]) == 2 && char_class(parts[i + 1][0]) == 1) {
            char moved[64];
            snprintf(moved, sizeof(moved), "%c%.62s", parts[i][l - 1], parts[i + 1]);
            parts[i][l - 1] = '\0';
            memcpy(parts[i + 1], moved, sizeof(moved));
        }
    }
    /* an upper-case run of two or more followed by a capitalised word merges with it */
    char merged[32][130];
    int nm = 0;
    for (int i = 0; i < np; i++) {
        if (!parts[i][0])
            continue;
        bool all_upper = true;
        for (const char *c = parts[i]; *c; c++)
            if (isalpha((unsigned char)*c) && !isupper((unsigned char)*c))
                all_upper = false;
        if (i + 1 < np && strlen(parts[i]) >= 2 && all_upper && isupper((unsigned char)parts[i + 1][0])) {
            snprintf(merged[nm++], sizeof(merged[0]), "%s%s", parts[i], parts[i + 1]);
            i++;
            continue;
        }
        snprintf(merged[nm++], sizeof(merged[0]), "%s", parts[i]);
    }
    buf[0] = '\0';
    static const char *const acronyms[] = { "API", "URL", "UID", "GUID" };
    bool first = true;
    for (int i = 0; i < nm; i++) {
        char *p = merged[i];
        if (strcmp(p, "_") == 0)
            continue;
        char up[130];
        size_t k = 0;
        for (; p[k] && k < sizeof(up) - 1; k++)
            up[k] = (char)toupper((unsigned char)p[k]);
        up[k] = '\0';
        bool acro = false;
        for (size_t a = 0; a < 4; a++)
            acro = acro || strcmp(up, acronyms[a]) == 0;
        bool lower = true;
        for (const char *c = p; *c; c++)
            if (isupper((unsigned char)*c))
                lower = false;
        if (acro)
            p = up;
        else if (lower && islower((unsigned char)p[0]))
            p[0] = (char)toupper((unsigned char)p[0]);
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", first ? "" : " ", p);
        first = false;
    }
}

static bool
skipped(const char *expr)
{
    static const char *const skip[] = { ".metadata.managedFields", ".metadata.name", ".metadata.namespace",
                                        ".metadata.labels", ".metadata.annotations" };
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (strcmp(expr, skip[i]) == 0)
            return true;
    return false;
}

static void
unstructured(struct d *d, int level, const json_t *content, const char *prefix)
{
    size_t n;
    const char **keys = json_object_size(content) ? sorted_keys(content, &n) : NULL;
    for (size_t i = 0; keys && i < n; i++) {
        const json_t *v = json_object_get(content, keys[i]);
        char expr[1024], label[256];
        snprintf(expr, sizeof(expr), "%s.%s", prefix, keys[i]);
        if (skipped(expr))
            continue;
        smart_label(keys[i], label, sizeof(label));
        if (json_is_object(v)) {
            wr(d, level, "%s:\n", label);
            unstructured(d, level + 1, v, expr);
        } else if (json_is_array(v)) {
            wr(d, level, "%s:\n", label);
            size_t k;
            const json_t *c;
            json_array_foreach(v, k, c)
            {
                if (json_is_object(c)) {
                    unstructured(d, level + 1, c, expr);
                } else {
                    char *s = sprint(c);
                    wr(d, level + 1, "%s\n", s ? s : "");
                    free(s);
                }
            }
        } else {
            char *s = sprint(v);
            wr(d, level, "%s:\t%s\n", label, s ? s : "");
            free(s);
        }
    }
    free(keys);
}

static void
describe_generic(struct d *d, const json_t *obj)
{
    wr(d, 0, "Name:\t%s\n", str(obj, "metadata.name"));
    wr(d, 0, "Namespace:\t%s\n", str(obj, "metadata.namespace"));
    labels_multiline(d, "", "Labels", get(obj, "metadata.labels"));
    annotations_multiline(d, "Annotations", get(obj, "metadata.annotations"));
    unstructured(d, 0, obj, "");
    events(d);
}

/* --- dispatch ------------------------------------------------------------------------------------------------ */

static const struct describer {
    const char *group, *kind;
    void (*fn)(struct d *d, const json_t *obj);
} describers[] = {
    { "", "Pod", describe_pod },
    { "", "Node", describe_node },
    { "", "Service", describe_service },
    { "", "PersistentVolume", describe_pv },
    { "", "PersistentVolumeClaim", describe_pvc },
    { "", "ConfigMap", describe_configmap },
    { "", "Secret", describe_secret },
    { "", "Namespace", describe_namespace },
    { "", "ServiceAccount", describe_serviceaccount },
    { "apps", "Deployment", describe_deployment },
    { "apps", "ReplicaSet", describe_replicaset },
    { "apps", "DaemonSet", describe_daemonset },
    { "apps", "StatefulSet", describe_statefulset },
    { "batch", "CronJob", describe_cronjob },
    { "autoscaling", "HorizontalPodAutoscaler", describe_hpa },
    { "", "Endpoints", describe_endpoints },
    { "discovery.k8s.io", "EndpointSlice", describe_endpointslice },
    { "storage.k8s.io", "StorageClass", describe_storageclass },
    { "networking.k8s.io", "IngressClass", describe_ingressclass },
    { "batch", "Job", describe_job },
    { "networking.k8s.io", "Ingress", describe_ingress },
    { "rbac.authorization.k8s.io", "Role", describe_role },
    { "rbac.authorization.k8s.io", "ClusterRole", describe_role },
    { "rbac.authorization.k8s.io", "RoleBinding", describe_rolebinding },
    { "rbac.authorization.k8s.io", "ClusterRoleBinding", describe_rolebinding },
    { "", "ResourceQuota", describe_quota },
    { "", "LimitRange", describe_limitrange },
};

bool
kctl_describe_has(const char *kind, const char *group)
{
    for (size_t i = 0; i < sizeof(describers) / sizeof(describers[0]); i++)
        if (strcmp(describers[i].kind, kind) == 0 && strcmp(describers[i].group, group ? group : "") == 0)
            return true;
    return false;
}

static int
describe_with(const char *kind, const char *group, const json_t *obj, const struct kctl_describe_ctx *ctx,
              const json_t *secrets, FILE *out)
{
    struct kctl_tabwriter *tw = kctl_tabwriter_new_opts(out, 0, 2, false);
    if (!tw)
        return -ENOMEM;
    struct d d = { .tw = tw, .ctx = ctx, .secrets = secrets };
    void (*fn)(struct d *, const json_t *) = describe_generic;
    for (size_t i = 0; i < sizeof(describers) / sizeof(describers[0]); i++)
        if (strcmp(describers[i].kind, kind) == 0 && strcmp(describers[i].group, group ? group : "") == 0)
            fn = describers[i].fn;
    fn(&d, obj);
    kctl_tabwriter_free(tw);
    return 0;
}

int
kctl_describe_object(const char *kind, const char *group, const json_t *obj, const struct kctl_describe_ctx *ctx,
                     FILE *out)
{
    return describe_with(kind, group, obj, ctx, NULL, out);
}

int
kctl_describe_service_account(const json_t *sa, const json_t *secrets, const struct kctl_describe_ctx *ctx, FILE *out)
{
    return describe_with("ServiceAccount", "", sa, ctx, secrets, out);
}
