/* defaults.c - the defaults Kubernetes 1.33 applies to every kind on create and update (the SetDefaults_*
 * functions of pkg/apis/{core,apps,batch,networking,discovery,storage,autoscaling,rbac}/v1*, which the OpenAPI
 * document does not carry), the normalisations its decoding implies (canonical quantities, Secret stringData),
 * and the create-only steps of the registry strategies (api_prepare_create). Every function is idempotent and
 * never overwrites a value the user set.
 */
#include "api_kinds.h"
#include "api_res.h"
#include "api_validate.h"
#include "kc_crypto.h"
#include "kc_json.h"
#include "kc_quantity.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

/* o[key] = v (taking v). The keys and strings defaults set are literals, canonical quantities, or keys and strings
 * of decoded objects (a Job's name and uid): valid UTF-8 all, so jansson's check of each is skipped (defaults add
 * ~20 members to a pod). */
static int
put(json_t *o, const char *key, json_t *v)
{
    return json_object_setn_new_nocheck(o, key, strlen(key), v);
}

/* The object at key, created (empty) when missing or not an object. NULL only on allocation failure. */
static json_t *
ensure_obj(json_t *o, const char *key)
{
    json_t *v = api_jget(o, key);
    if (json_is_object(v))
        return v;
    if (!json_is_object(o))
        return NULL;
    v = json_object();
    if (!v || put(o, key, v) != 0)
        return NULL;
    return v;
}

/* Go's zero value for a string field: missing, null or "". */
static bool
str_unset(const json_t *o, const char *key)
{
    const json_t *v = api_jget(o, key);
    return !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0);
}

/* Go's zero value for an int field: missing, null or 0. */
static bool
int_unset(const json_t *o, const char *key)
{
    long long v;
    return !api_jint(o, key, &v) || v == 0;
}

/* A pointer field (Go *T): unset only when missing or null. */
static bool
ptr_unset(const json_t *o, const char *key)
{
    return !api_jhas(o, key);
}

static void
set_str(json_t *o, const char *key, const char *value)
{
    if (json_is_object(o))
        put(o, key, json_string_nocheck(value));
}

static void
set_int(json_t *o, const char *key, long long value)
{
    if (json_is_object(o))
        put(o, key, json_integer(value));
}

/* Whether o[key] is the string value. */
static bool
is_str(const json_t *o, const char *key, const char *value)
{
    const char *s = api_jstr(o, key);
    return s && strcmp(s, value) == 0;
}

static void
default_str(json_t *o, const char *key, const char *value)
{
    if (json_is_object(o) && str_unset(o, key))
        set_str(o, key, value);
}

static void
default_ptr_str(json_t *o, const char *key, const char *value)
{
    if (json_is_object(o) && ptr_unset(o, key))
        set_str(o, key, value);
}

static void
default_ptr_int(json_t *o, const char *key, long long value)
{
    if (json_is_object(o) && ptr_unset(o, key))
        set_int(o, key, value);
}

static void
default_int(json_t *o, const char *key, long long value)
{
    if (json_is_object(o) && int_unset(o, key))
        set_int(o, key, value);
}

static void
default_ptr_bool(json_t *o, const char *key, bool value)
{
    if (json_is_object(o) && ptr_unset(o, key))
        put(o, key, json_boolean(value));
}

/* Quantities as upstream's Marshal writes them after decoding: the canonical form (or the input when upstream
 * keeps it verbatim), always a string. Unparsable values are left for validation to report. */
static void
canon_quantity(json_t *parent, const char *key)
{
    json_t *v = api_jget(parent, key);
    if (!v || json_is_null(v))
        return;
    struct kc_quantity q;
    char s[64];
    if (api_quantity(v, &q, s, sizeof(s), NULL, 0) != 0)
        return;
    if (!json_is_string(v) || strcmp(json_string_value(v), s) != 0)
        put(parent, key, json_string_nocheck(s));
}

static void
canon_quantity_map(json_t *map)
{
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(map, tmp, k, v)
    {
        canon_quantity(map, k);
    }
}

static void
canon_resources(json_t *res)
{
    canon_quantity_map(api_jobj(res, "limits"));
    canon_quantity_map(api_jobj(res, "requests"));
}

/* A template's metadata as Go writes an empty ObjectMeta: {"creationTimestamp": null} at least. */
static void
default_template_meta(json_t *tmpl)
{
    json_t *meta = ensure_obj(tmpl, "metadata");
    if (meta && !api_jget(meta, "creationTimestamp"))
        json_object_set_new(meta, "creationTimestamp", json_null());
}

/* ---- images ---- */

static bool
lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+ */
static bool
path_component_ok(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
        return false;
    while (i < n) {
        while (i < n && lower_alnum(s[i]))
            i++;
        if (i == n)
            return true;
        size_t sep = i;
        if (s[i] == '-') {
            while (i < n && s[i] == '-')
                i++;
        } else if (s[i] == '_' && i + 1 < n && s[i + 1] == '_') {
            i += 2;
        } else if (s[i] == '_' || s[i] == '.') {
            i++;
        } else {
            return false;
        }
        if (i == sep || i >= n || !lower_alnum(s[i]))
            return false;
    }
    return true;
}

static bool
domain_ok(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t hn = colon ? (size_t)(colon - s) : n;
    if (colon) {
        if (colon + 1 == s + n)
            return false;
        for (const char *p = colon + 1; p < s + n; p++)
            if (!isdigit((unsigned char)*p))
                return false;
    }
    size_t start = 0;
    for (size_t i = 0; i <= hn; i++) {
        if (i < hn && s[i] != '.')
            continue;
        size_t len = i - start;
        const char *c = s + start;
        if (len == 0 || !isalnum((unsigned char)c[0]) || !isalnum((unsigned char)c[len - 1]))
            return false;
        for (size_t k = 0; k < len; k++)
            if (!isalnum((unsigned char)c[k]) && c[k] != '-')
                return false;
        start = i + 1;
    }
    return hn > 0;
}

static bool
digest_ok(const char *d)
{
    const char *colon = strchr(d, ':');
    if (!colon || colon == d)
        return false;
    /* algorithm := component ([+._-] component)*, component := [A-Za-z][A-Za-z0-9]* */
    bool start = true;
    for (const char *p = d; p < colon; p++) {
        if (start) {
            if (!isalpha((unsigned char)*p))
                return false;
            start = false;
        } else if (strchr("+._-", *p)) {
            start = true;
        } else if (!isalnum((unsigned char)*p)) {
            return false;
        }
    }
    if (start)
        return false;
    size_t hex = strlen(colon + 1);
    for (const char *p = colon + 1; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return false;
    if (strncmp(d, "sha256:", 7) == 0)
        return hex == 64;
    if (strncmp(d, "sha512:", 7) == 0)
        return hex == 128;
    return false; /* unregistered algorithms are rejected by the digest package */
}

enum image_tag { IMAGE_BAD, IMAGE_DEFAULT_LATEST, IMAGE_LATEST, IMAGE_OTHER };

/* Classifies an image reference as parsers.ParseImageName (docker reference.ParseNormalizedNamed) sees it:
 * unparsable, no tag and no digest (tag "latest" implied), tag "latest", or another tag / a digest. */
static enum image_tag
image_tag(const char *image)
{
    size_t n = strlen(image);
    if (n == 0)
        return IMAGE_BAD;
    char buf[1024];
    if (n >= sizeof(buf))
        return IMAGE_BAD;
    memcpy(buf, image, n + 1);
    bool has_digest = false;
    char *at = strchr(buf, '@');
    if (at) {
        *at = '\0';
        if (!digest_ok(at + 1))
            return IMAGE_BAD;
        has_digest = true;
    }
    char *tag = NULL;
    char *last_slash = strrchr(buf, '/');
    char *colon = strrchr(buf, ':');
    if (colon && (!last_slash || colon > last_slash)) {
        *colon = '\0';
        tag = colon + 1;
        size_t tl = strlen(tag);
        if (tl == 0 || tl > 128 || !(isalnum((unsigned char)tag[0]) || tag[0] == '_'))
            return IMAGE_BAD;
        for (size_t i = 1; i < tl; i++)
            if (!isalnum((unsigned char)tag[i]) && !strchr("_.-", tag[i]))
                return IMAGE_BAD;
    }
    size_t nl = strlen(buf);
    if (nl == 0 || nl > 255)
        return IMAGE_BAD;
    if (nl == 64) {
        bool allhex = true;
        for (size_t i = 0; i < nl; i++)
            if (!isxdigit((unsigned char)buf[i]) || isupper((unsigned char)buf[i]))
                allhex = false;
        if (allhex)
            return IMAGE_BAD;
    }
    char *first = strchr(buf, '/');
    const char *path = buf;
    if (first) {
        size_t fl = (size_t)(first - buf);
        bool upper = false;
        for (size_t i = 0; i < fl; i++)
            if (isupper((unsigned char)buf[i]))
                upper = true;
        if (memchr(buf, '.', fl) || memchr(buf, ':', fl) || (fl == 9 && strncmp(buf, "localhost", 9) == 0) || upper) {
            if (!domain_ok(buf, fl))
                return IMAGE_BAD;
            path = first + 1;
        }
    }
    size_t start = 0, pl = strlen(path);
    for (size_t i = 0; i <= pl; i++) {
        if (i < pl && path[i] != '/')
            continue;
        if (!path_component_ok(path + start, i - start))
            return IMAGE_BAD;
        start = i + 1;
    }
    if (tag)
        return strcmp(tag, "latest") == 0 ? IMAGE_LATEST : IMAGE_OTHER;
    return has_digest ? IMAGE_OTHER : IMAGE_DEFAULT_LATEST;
}

/* ---- pods ---- */

static void
default_http_get(json_t *h)
{
    json_t *hg = api_jobj(h, "httpGet");
    if (!hg)
        return;
    default_str(hg, "path", "/");
    default_str(hg, "scheme", "HTTP");
}

static void
default_probe(json_t *c, const char *key)
{
    json_t *p = api_jobj(c, key);
    if (!p)
        return;
    default_int(p, "timeoutSeconds", 1);
    default_int(p, "periodSeconds", 10);
    default_int(p, "successThreshold", 1);
    default_int(p, "failureThreshold", 3);
    default_http_get(p);
    json_t *grpc = api_jobj(p, "grpc");
    if (grpc)
        default_ptr_str(grpc, "service", "");
}

static void
default_field_ref(json_t *holder)
{
    json_t *fr = api_jobj(holder, "fieldRef");
    if (fr)
        default_str(fr, "apiVersion", "v1");
}

static void
default_container(json_t *c)
{
    if (!json_is_object(c))
        return;
    if (str_unset(c, "imagePullPolicy")) {
        enum image_tag t = image_tag(api_jstr(c, "image") ? api_jstr(c, "image") : "");
        set_str(c, "imagePullPolicy", t == IMAGE_LATEST || t == IMAGE_DEFAULT_LATEST ? "Always" : "IfNotPresent");
    }
    default_str(c, "terminationMessagePath", "/dev/termination-log");
    default_str(c, "terminationMessagePolicy", "File");
    size_t i;
    json_t *p;
    json_array_foreach(api_jarr(c, "ports"), i, p)
    {
        default_str(p, "protocol", "TCP");
    }
    json_t *res = ensure_obj(c, "resources");
    canon_resources(res);
    default_probe(c, "livenessProbe");
    default_probe(c, "readinessProbe");
    default_probe(c, "startupProbe");
    json_t *lc = api_jobj(c, "lifecycle");
    default_http_get(api_jobj(lc, "postStart"));
    default_http_get(api_jobj(lc, "preStop"));
    json_t *ev;
    json_array_foreach(api_jarr(c, "env"), i, ev)
    {
        default_field_ref(api_jobj(ev, "valueFrom"));
    }
}

static void
default_pvc_spec(json_t *spec)
{
    if (!json_is_object(spec))
        return;
    default_ptr_str(spec, "volumeMode", "Filesystem");
    canon_resources(api_jobj(spec, "resources"));
}

static void
default_volume(json_t *v)
{
    if (!json_is_object(v))
        return;
    const json_t *present[API_VOLUME_SOURCES];
    if (api_volume_sources_of(v, present) == 0)
        put(v, "emptyDir", json_object());
    json_t *s;
    if ((s = api_jobj(v, "secret")))
        default_ptr_int(s, "defaultMode", 0644);
    if ((s = api_jobj(v, "configMap")))
        default_ptr_int(s, "defaultMode", 0644);
    if ((s = api_jobj(v, "hostPath")))
        default_ptr_str(s, "type", "");
    if ((s = api_jobj(v, "emptyDir")))
        canon_quantity(s, "sizeLimit");
    size_t i;
    json_t *item;
    if ((s = api_jobj(v, "downwardAPI"))) {
        default_ptr_int(s, "defaultMode", 0644);
        json_array_foreach(api_jarr(s, "items"), i, item)
        {
            default_field_ref(item);
        }
    }
    if ((s = api_jobj(v, "projected"))) {
        default_ptr_int(s, "defaultMode", 0644);
        json_t *src;
        json_array_foreach(api_jarr(s, "sources"), i, src)
        {
            json_t *t = api_jobj(src, "serviceAccountToken");
            if (t)
                default_ptr_int(t, "expirationSeconds", 3600);
            size_t j;
            json_array_foreach(api_jarr(api_jobj(src, "downwardAPI"), "items"), j, item)
            {
                default_field_ref(item);
            }
        }
    }
    if ((s = api_jobj(v, "ephemeral"))) {
        json_t *t = api_jobj(s, "volumeClaimTemplate");
        if (t)
            default_pvc_spec(api_jobj(t, "spec"));
    }
}

/* SetDefaults_PodSpec and the defaults of what it contains; for a Pod (not a template) also SetDefaults_Pod:
 * enableServiceLinks, requests from limits, host ports under hostNetwork. */
static void
default_pod_spec(json_t *spec, bool is_pod)
{
    if (!json_is_object(spec))
        return;
    default_str(spec, "dnsPolicy", "ClusterFirst");
    default_str(spec, "restartPolicy", "Always");
    if (ptr_unset(spec, "securityContext"))
        put(spec, "securityContext", json_object());
    default_ptr_int(spec, "terminationGracePeriodSeconds", 30);
    default_str(spec, "schedulerName", "default-scheduler");
    static const char *const lists[] = { "containers", "initContainers", "ephemeralContainers", NULL };
    size_t i;
    json_t *c;
    for (int k = 0; lists[k]; k++) {
        json_array_foreach(api_jarr(spec, lists[k]), i, c)
        {
            default_container(c);
        }
    }
    json_t *v;
    json_array_foreach(api_jarr(spec, "volumes"), i, v)
    {
        default_volume(v);
    }
    canon_quantity_map(api_jobj(spec, "overhead"));
    canon_resources(api_jobj(spec, "resources"));
    if (!is_pod)
        return;
    for (int k = 0; k < 2; k++) {
        json_array_foreach(api_jarr(spec, lists[k]), i, c)
        {
            json_t *res = api_jobj(c, "resources");
            json_t *lim = api_jobj(res, "limits");
            if (!lim)
                continue;
            json_t *req = ensure_obj(res, "requests");
            const char *key;
            json_t *q;
            json_object_foreach(lim, key, q)
            {
                if (req && !api_jget(req, key))
                    json_object_set(req, key, q);
            }
        }
    }
    default_ptr_bool(spec, "enableServiceLinks", true);
    bool host_net = false;
    if (api_jbool(spec, "hostNetwork", &host_net) && host_net) {
        for (int k = 0; k < 2; k++) {
            json_array_foreach(api_jarr(spec, lists[k]), i, c)
            {
                size_t j;
                json_t *p;
                json_array_foreach(api_jarr(c, "ports"), j, p)
                {
                    long long cp = 0;
                    if (int_unset(p, "hostPort") && api_jint(p, "containerPort", &cp))
                        set_int(p, "hostPort", cp);
                }
            }
        }
    }
}

static void
default_pod_template(json_t *tmpl)
{
    if (!json_is_object(tmpl))
        return;
    default_template_meta(tmpl);
    default_pod_spec(ensure_obj(tmpl, "spec"), false);
}

void
api_default_core_pod(const struct api_resource *r, json_t *obj)
{
    (void)r;
    default_pod_spec(api_jobj(obj, "spec"), true);
}

/* ---- core ---- */

void
api_default_core_namespace(const struct api_resource *r, json_t *obj)
{
    (void)r;
    json_t *meta = api_jobj(obj, "metadata");
    const char *name = api_jstr(meta, "name");
    if (name && *name) {
        json_t *labels = ensure_obj(meta, "labels");
        const char *cur = api_jstr(labels, "kubernetes.io/metadata.name");
        if (labels && (!cur || strcmp(cur, name) != 0)) {
            /* SetDefaults_Namespace always (re)sets the label to the name */
            json_object_set_new(labels, "kubernetes.io/metadata.name", json_string(name));
        }
    }
    /* NamespaceStatus is a struct: SetDefaults_NamespaceStatus always runs */
    default_str(ensure_obj(obj, "status"), "phase", "Active");
}

void
api_default_core_service(const struct api_resource *r, json_t *obj)
{
    (void)r;
    json_t *spec = ensure_obj(obj, "spec");
    if (!spec)
        return;
    default_str(spec, "sessionAffinity", "None");
    const char *aff = api_jstr(spec, "sessionAffinity");
    if (aff && strcmp(aff, "None") == 0) {
        json_object_del(spec, "sessionAffinityConfig");
    } else if (aff && strcmp(aff, "ClientIP") == 0) {
        json_t *cfg = api_jobj(spec, "sessionAffinityConfig");
        json_t *cip = api_jobj(cfg, "clientIP");
        if (!cip || !api_jhas(cip, "timeoutSeconds"))
            json_object_set_new(spec, "sessionAffinityConfig",
                                json_pack("{s:{s:i}}", "clientIP", "timeoutSeconds", 10800));
    }
    default_str(spec, "type", "ClusterIP");
    const char *type = api_jstr(spec, "type") ? api_jstr(spec, "type") : "";
    size_t i;
    json_t *p;
    json_array_foreach(api_jarr(spec, "ports"), i, p)
    {
        default_str(p, "protocol", "TCP");
        json_t *tp = api_jget(p, "targetPort");
        long long port;
        bool unset = !tp || json_is_null(tp) || (json_is_integer(tp) && json_integer_value(tp) == 0) ||
                     (json_is_string(tp) && json_string_length(tp) == 0);
        if (unset && api_jint(p, "port", &port))
            set_int(p, "targetPort", port);
    }
    bool external = strcmp(type, "LoadBalancer") == 0 || strcmp(type, "NodePort") == 0 ||
                    (strcmp(type, "ClusterIP") == 0 && json_array_size(api_jarr(spec, "externalIPs")) > 0);
    if (external)
        default_str(spec, "externalTrafficPolicy", "Cluster");
    bool ipful = strcmp(type, "NodePort") == 0 || strcmp(type, "LoadBalancer") == 0 || strcmp(type, "ClusterIP") == 0;
    if (ipful)
        default_ptr_str(spec, "internalTrafficPolicy", "Cluster");
    if (strcmp(type, "LoadBalancer") == 0) {
        default_ptr_bool(spec, "allocateLoadBalancerNodePorts", true);
        /* LoadBalancerIPMode (on by default): ingress points with an IP get ipMode VIP */
        json_t *ing;
        json_array_foreach(api_jarr(api_jobj(api_jobj(obj, "status"), "loadBalancer"), "ingress"), i, ing)
        {
            const char *ip = api_jstr(ing, "ip");
            if (ip && *ip)
                default_ptr_str(ing, "ipMode", "VIP");
        }
    }
    /* NormalizeClusterIPs (create): a clusterIP given alone also becomes clusterIPs[0] */
    const char *cip = api_jstr(spec, "clusterIP");
    if (cip && *cip && json_array_size(api_jarr(spec, "clusterIPs")) == 0)
        json_object_set_new(spec, "clusterIPs", json_pack("[s]", cip));
    /* The IP family fields the REST layer fills on a single-stack cluster (initIPFamilyFields): SingleStack and
     * the family of the given IP (IPv4 by default). Headless services without selector are treated alike. */
    if (strcmp(type, "ExternalName") != 0) {
        default_ptr_str(spec, "ipFamilyPolicy", "SingleStack");
        if (json_array_size(api_jarr(spec, "ipFamilies")) == 0) {
            json_t *fams = json_array();
            json_t *ips = api_jarr(spec, "clusterIPs");
            if (fams && json_array_size(ips) > 0 &&
                strcmp(json_string_value(json_array_get(ips, 0)) ? json_string_value(json_array_get(ips, 0)) : "",
                       "None") != 0) {
                json_t *ip;
                json_array_foreach(ips, i, ip)
                {
                    int f = api_parse_ip(json_string_value(ip), NULL);
                    json_array_append_new(fams, json_string(f == 6 ? "IPv6" : "IPv4"));
                }
            } else if (fams) {
                json_array_append_new(fams, json_string("IPv4"));
            }
            if (fams)
                json_object_set_new(spec, "ipFamilies", fams);
        }
    }
}

void
api_default_core_endpoints(const struct api_resource *r, json_t *obj)
{
    (void)r;
    size_t i, j;
    json_t *ss, *p;
    json_array_foreach(api_jarr(obj, "subsets"), i, ss)
    {
        json_array_foreach(api_jarr(ss, "ports"), j, p)
        {
            default_str(p, "protocol", "TCP");
        }
    }
}

void
api_default_core_node(const struct api_resource *r, json_t *obj)
{
    (void)r;
    /* The v1 <-> internal conversion: podCIDRs defaults to [podCIDR], and podCIDR is written as podCIDRs[0]. */
    json_t *spec = api_jobj(obj, "spec");
    const char *cidr = api_jstr(spec, "podCIDR");
    json_t *cidrs = api_jarr(spec, "podCIDRs");
    if (cidr && *cidr && json_array_size(cidrs) == 0)
        json_object_set_new(spec, "podCIDRs", json_pack("[s]", cidr));
    else if (json_is_string(json_array_get(cidrs, 0)))
        json_object_set(spec, "podCIDR", json_array_get(cidrs, 0));
    json_t *status = api_jobj(obj, "status");
    if (!status)
        return;
    canon_quantity_map(api_jobj(status, "capacity"));
    canon_quantity_map(api_jobj(status, "allocatable"));
    json_t *cap = api_jobj(status, "capacity");
    if (cap && ptr_unset(status, "allocatable"))
        json_object_set_new(status, "allocatable", json_deep_copy(cap));
}

void
api_default_core_persistentvolume(const struct api_resource *r, json_t *obj)
{
    (void)r;
    json_t *spec = api_jobj(obj, "spec");
    json_t *status = ensure_obj(obj, "status");
    default_str(status, "phase", "Pending");
    if (!spec)
        return;
    default_str(spec, "persistentVolumeReclaimPolicy", "Retain");
    default_ptr_str(spec, "volumeMode", "Filesystem");
    canon_quantity_map(api_jobj(spec, "capacity"));
    json_t *hp = api_jobj(spec, "hostPath");
    if (hp)
        default_ptr_str(hp, "type", "");
}

void
api_default_core_persistentvolumeclaim(const struct api_resource *r, json_t *obj)
{
    (void)r;
    json_t *status = ensure_obj(obj, "status");
    default_str(status, "phase", "Pending");
    canon_quantity_map(api_jobj(status, "capacity"));
    default_pvc_spec(api_jobj(obj, "spec"));
}

void
api_default_core_configmap(const struct api_resource *r, json_t *obj)
{
    /* SetDefaults_ConfigMap makes an empty data map, which Go does not write out. */
    (void)r;
    (void)obj;
}

void
api_default_core_secret(const struct api_resource *r, json_t *obj)
{
    (void)r;
    default_str(obj, "type", "Opaque");
    /* The v1 -> internal conversion merges stringData into data (stringData wins) and drops it. */
    json_t *sd = api_jobj(obj, "stringData");
    if (sd) {
        json_t *data = ensure_obj(obj, "data");
        const char *k;
        json_t *v;
        json_object_foreach(sd, k, v)
        {
            const char *s = json_is_string(v) ? json_string_value(v) : "";
            char *b64 = kc_base64_encode(s, json_is_string(v) ? json_string_length(v) : 0);
            if (b64 && data)
                json_object_set_new(data, k, json_string(b64));
            free(b64);
        }
        json_object_del(obj, "stringData");
    }
}

void
api_default_core_serviceaccount(const struct api_resource *r, json_t *obj)
{
    (void)r;
    (void)obj;
}

void
api_default_core_event(const struct api_resource *r, json_t *obj)
{
    (void)r;
    (void)obj;
}

/* ---- apps ---- */

void
api_default_apps_deployment(const struct api_resource *r, json_t *obj)
{
    (void)r;
    json_t *spec = ensure_obj(obj, "spec");
    if (!spec)
        return;
    default_ptr_int(spec, "replicas", 1);
    json_t *st = ensure_obj(spec, "strategy");
    default_str(st, "type", "RollingUpdate");
    if (st && is_str(st, "type", "RollingUpdate")) {
        json_t *ru = ensure_obj(st, "rollingUpdate");
        if (ru && ptr_unset(ru, "maxUnavailable"))
            set_str(ru, "maxUnavailable", "25%");
        if (ru && ptr_unset(ru, "maxSurge"))
            set_str(ru, "maxSurge", "25%");
    }
    default_ptr_int(spec, "revisionHistoryLimit", 10);
    default_ptr_int(spec, "progressDeadlineSeconds", 600);
    default_pod_template(ensure_obj(spec, "template"));
}

void
api_default_apps_replicaset(const struct api_resource *r, json_t *obj)
{
    (void)r;
    json_t *spec = ensure_obj(obj, "spec");
    if (!spec)
        return;
    default_ptr_int(spec, "replicas", 1);
    default_pod_template(ensure_obj(spec, "template"));
}

void
api_default_apps_daemonset(const struct api_resource *r, json_t *obj)
{
    (void)r;
    json_t *spec = ensure_obj(obj, "spec");
    if (!spec)
        return;
    json_t *us = ensure_obj(spec, "updateStrategy");
    default_str(us, "type", "RollingUpdate");
    if (us && is_str(us, "type", "RollingUpdate")) {
        json_t *ru = ensure_obj(us, "rollingUpdate");
        if (ru && ptr_unset(ru, "maxUnavailable"))
            set_int(ru, "maxUnavailable", 1);
        if (ru && ptr_unset(ru, "maxSurge"))
            set_int(ru, "maxSurge", 0);
    }
    default_ptr_int(spec, "revisionHistoryLimit", 10);
    default_pod_template(ensure_obj(spec, "template"));
}

void
api_default_apps_statefulset(const struct api_resource *r, json_t *obj)
{
    (void)r;
    json_t *spec = ensure_obj(obj, "spec");
    if (!spec)
        return;
    default_str(spec, "podManagementPolicy", "OrderedReady");
    json_t *us = ensure_obj(spec, "updateStrategy");
    if (us && str_unset(us, "type")) {
        set_str(us, "type", "RollingUpdate");
        if (ptr_unset(us, "rollingUpdate"))
            json_object_set_new(us, "rollingUpdate", json_object());
    }
    json_t *ru = api_jobj(us, "rollingUpdate");
    if (ru && is_str(us, "type", "RollingUpdate"))
        default_ptr_int(ru, "partition", 0);
    json_t *ret = ensure_obj(spec, "persistentVolumeClaimRetentionPolicy");
    default_str(ret, "whenDeleted", "Retain");
    default_str(ret, "whenScaled", "Retain");
    default_ptr_int(spec, "replicas", 1);
    default_ptr_int(spec, "revisionHistoryLimit", 10);
    default_pod_template(ensure_obj(spec, "template"));
    size_t i;
    json_t *t;
    json_array_foreach(api_jarr(spec, "volumeClaimTemplates"), i, t)
    {
        /* written out as whole PersistentVolumeClaims: type meta, empty metadata fields, status, spec defaults */
        default_str(t, "apiVersion", "v1");
        default_str(t, "kind", "PersistentVolumeClaim");
        default_template_meta(t);
        json_t *st = ensure_obj(t, "status");
        default_str(st, "phase", "Pending");
        default_pvc_spec(ensure_obj(t, "spec"));
    }
}

/* ---- batch ---- */

/* generateSelector (the job strategy's PrepareForCreate; done here, on every write, because the REST layer has no
 * create-only hook for it): unless manualSelector, the job-name and controller-uid labels (legacy and
 * batch.kubernetes.io/) are added to the template where missing and batch.kubernetes.io/controller-uid to the
 * selector's matchLabels. Needs metadata.uid, which the server sets before defaulting. On a stored job this is a
 * no-op; an update that drops the generated labels gets them back (upstream would reject it instead). */
static void
generate_job_selector(json_t *job)
{
    json_t *meta = api_jobj(job, "metadata"), *spec = api_jobj(job, "spec");
    const char *uid = api_jstr(meta, "uid"), *name = api_jstr(meta, "name");
    bool manual = false;
    api_jbool(spec, "manualSelector", &manual);
    if (!spec || manual || !uid || !*uid)
        return;
    json_t *tmpl = ensure_obj(spec, "template");
    json_t *tmeta = ensure_obj(tmpl, "metadata");
    json_t *labels = ensure_obj(tmeta, "labels");
    if (!labels)
        return;
    static const char *const name_labels[] = { "job-name", "batch.kubernetes.io/job-name", NULL };
    static const char *const uid_labels[] = { "controller-uid", "batch.kubernetes.io/controller-uid", NULL };
    for (int k = 0; name_labels[k]; k++)
        if (!api_jget(labels, name_labels[k]))
            set_str(labels, name_labels[k], name ? name : "");
    for (int k = 0; uid_labels[k]; k++)
        if (!api_jget(labels, uid_labels[k]))
            set_str(labels, uid_labels[k], uid);
    /* a selector the user gave gets the controller-uid term added (validation then rejects it) */
    json_t *sel = ensure_obj(spec, "selector");
    json_t *ml = ensure_obj(sel, "matchLabels");
    if (ml && !api_jget(ml, "batch.kubernetes.io/controller-uid"))
        set_str(ml, "batch.kubernetes.io/controller-uid", uid);
}

void
api_default_batch_job(const struct api_resource *r, json_t *obj)
{
    (void)r;
    json_t *spec = ensure_obj(obj, "spec");
    if (!spec)
        return;
    if (ptr_unset(spec, "completions") && ptr_unset(spec, "parallelism")) {
        set_int(spec, "completions", 1);
        set_int(spec, "parallelism", 1);
    }
    default_ptr_int(spec, "parallelism", 1);
    if (ptr_unset(spec, "backoffLimit"))
        set_int(spec, "backoffLimit", api_jhas(spec, "backoffLimitPerIndex") ? 2147483647 : 6);
    default_ptr_str(spec, "completionMode", "NonIndexed");
    default_ptr_bool(spec, "suspend", false);
    json_t *pfp = api_jobj(spec, "podFailurePolicy");
    size_t i, j;
    json_t *rule, *pat;
    json_array_foreach(api_jarr(pfp, "rules"), i, rule)
    {
        json_array_foreach(api_jarr(rule, "onPodConditions"), j, pat)
        {
            default_str(pat, "status", "True");
        }
    }
    /* JobPodReplacementPolicy is on by default in 1.33 */
    default_ptr_str(spec, "podReplacementPolicy", pfp ? "Failed" : "TerminatingOrFailed");
    default_ptr_bool(spec, "manualSelector", false);
    generate_job_selector(obj);
    /* metadata.labels default to the template's (SetDefaults_Job). Upstream decodes before it generates the
     * selector, so a job whose template had no labels gets them on its next write (the state `kubectl get job`
     * shows); doing it after generating keeps this idempotent and gives that state right away. */
    json_t *meta = api_jobj(obj, "metadata");
    json_t *tl = api_jobj(api_jobj(api_jobj(spec, "template"), "metadata"), "labels");
    if (meta && tl && json_object_size(tl) > 0 && json_object_size(api_jobj(meta, "labels")) == 0)
        json_object_set_new(meta, "labels", json_deep_copy(tl));
    default_pod_template(ensure_obj(spec, "template"));
}

void
api_default_batch_cronjob(const struct api_resource *r, json_t *obj)
{
    (void)r;
    json_t *spec = ensure_obj(obj, "spec");
    if (!spec)
        return;
    default_str(spec, "concurrencyPolicy", "Allow");
    default_ptr_bool(spec, "suspend", false);
    default_ptr_int(spec, "successfulJobsHistoryLimit", 3);
    default_ptr_int(spec, "failedJobsHistoryLimit", 1);
    json_t *jt = ensure_obj(spec, "jobTemplate");
    default_template_meta(jt);
    json_t *js = ensure_obj(jt, "spec");
    size_t i, j;
    json_t *rule, *pat;
    json_array_foreach(api_jarr(api_jobj(js, "podFailurePolicy"), "rules"), i, rule)
    {
        json_array_foreach(api_jarr(rule, "onPodConditions"), j, pat)
        {
            default_str(pat, "status", "True");
        }
    }
    default_pod_template(ensure_obj(js, "template"));
}

/* ---- networking, discovery, coordination, storage, autoscaling, events ---- */

void
api_default_networking_ingress(const struct api_resource *r, json_t *obj)
{
    /* networking/v1 has no Ingress defaults (pathType included). */
    (void)r;
    (void)obj;
}

void
api_default_networking_ingressclass(const struct api_resource *r, json_t *obj)
{
    (void)r;
    json_t *params = api_jobj(api_jobj(obj, "spec"), "parameters");
    if (params)
        default_ptr_str(params, "scope", "Cluster");
}

void
api_default_discovery_endpointslice(const struct api_resource *r, json_t *obj)
{
    (void)r;
    size_t i;
    json_t *p;
    json_array_foreach(api_jarr(obj, "ports"), i, p)
    {
        default_ptr_str(p, "name", "");
        default_ptr_str(p, "protocol", "TCP");
    }
}

void
api_default_coordination_lease(const struct api_resource *r, json_t *obj)
{
    (void)r;
    (void)obj;
}

void
api_default_storage_storageclass(const struct api_resource *r, json_t *obj)
{
    (void)r;
    default_ptr_str(obj, "reclaimPolicy", "Delete");
    default_ptr_str(obj, "volumeBindingMode", "Immediate");
}

/* GenerateHPAScale{Up,Down}Rules: the given rules' non-nil fields over the defaults. */
static void
default_scaling_rules(json_t *behavior, const char *key, bool up)
{
    json_t *rules = api_jobj(behavior, key);
    if (!rules) {
        rules = json_object();
        if (!rules || json_object_set_new(behavior, key, rules) != 0)
            return;
    }
    if (up)
        default_ptr_int(rules, "stabilizationWindowSeconds", 0);
    default_ptr_str(rules, "selectPolicy", "Max");
    if (!api_jhas(rules, "policies")) {
        json_t *pols = up ? json_pack("[{s:s,s:i,s:i},{s:s,s:i,s:i}]", "type", "Pods", "value", 4, "periodSeconds", 15,
                                      "type", "Percent", "value", 100, "periodSeconds", 15)
                          : json_pack("[{s:s,s:i,s:i}]", "type", "Percent", "value", 100, "periodSeconds", 15);
        if (pols)
            json_object_set_new(rules, "policies", pols);
    }
}

void
api_default_autoscaling_horizontalpodautoscaler(const struct api_resource *r, json_t *obj)
{
    (void)r;
    json_t *spec = ensure_obj(obj, "spec");
    if (!spec)
        return;
    default_ptr_int(spec, "minReplicas", 1);
    if (json_array_size(api_jarr(spec, "metrics")) == 0) {
        json_t *m = json_pack("[{s:s,s:{s:s,s:{s:s,s:i}}}]", "type", "Resource", "resource", "name", "cpu", "target",
                              "type", "Utilization", "averageUtilization", 80);
        if (m)
            json_object_set_new(spec, "metrics", m);
    }
    size_t i;
    json_t *m;
    json_array_foreach(api_jarr(spec, "metrics"), i, m)
    {
        static const char *const srcs[] = { "object", "pods", "resource", "containerResource", "external", NULL };
        for (int k = 0; srcs[k]; k++) {
            json_t *t = api_jobj(api_jobj(m, srcs[k]), "target");
            canon_quantity(t, "value");
            canon_quantity(t, "averageValue");
        }
    }
    json_t *b = api_jobj(spec, "behavior");
    if (b) {
        default_scaling_rules(b, "scaleUp", true);
        default_scaling_rules(b, "scaleDown", false);
    }
}

void
api_default_events_event(const struct api_resource *r, json_t *obj)
{
    (void)r;
    (void)obj;
}

/* ---- create-only preparation ---- */

/* Whether v is a quantity other than zero (*q: its value). */
static bool
nonzero_quantity(const json_t *v, struct kc_quantity *q)
{
    return v && api_quantity(v, q, NULL, 0, NULL, 0) == 0 && q->milli != 0;
}

/* qos.GetPodQOS over cpu and memory of the regular and init containers (missing requests count as the limits,
 * which the Pod defaults fill in). */
static const char *
pod_qos(const json_t *spec)
{
    static const char *const res[] = { "cpu", "memory", NULL };
    struct kc_quantity req_sum[2] = { 0 }, lim_sum[2] = { 0 };
    bool has_req[2] = { false }, has_lim[2] = { false };
    bool guaranteed = true;
    static const char *const lists[] = { "initContainers", "containers", NULL };
    for (int l = 0; lists[l]; l++) {
        size_t i;
        json_t *c;
        json_array_foreach(api_jarr(spec, lists[l]), i, c)
        {
            const json_t *resr = api_jobj(c, "resources");
            const json_t *lim = api_jobj(resr, "limits"), *req = api_jobj(resr, "requests");
            bool found[2] = { false, false };
            for (int k = 0; res[k]; k++) {
                const json_t *lv = api_jget(lim, res[k]), *rv = api_jget(req, res[k]);
                if (!rv)
                    rv = lv;
                struct kc_quantity q;
                if (nonzero_quantity(rv, &q)) {
                    kc_quantity_add(&req_sum[k], &q, &req_sum[k]);
                    has_req[k] = true;
                }
                if (nonzero_quantity(lv, &q)) {
                    kc_quantity_add(&lim_sum[k], &q, &lim_sum[k]);
                    has_lim[k] = true;
                    found[k] = true;
                }
            }
            if (!found[0] || !found[1])
                guaranteed = false;
        }
    }
    if (!has_req[0] && !has_req[1] && !has_lim[0] && !has_lim[1])
        return "BestEffort";
    if (guaranteed && has_req[0] == has_lim[0] && has_req[1] == has_lim[1]) {
        for (int k = 0; k < 2; k++)
            if (has_req[k] && kc_quantity_cmp(&req_sum[k], &lim_sum[k]) != 0)
                guaranteed = false;
        if (guaranteed)
            return "Guaranteed";
    }
    return "Burstable";
}

void
api_prepare_create(const struct api_resource *r, json_t *obj)
{
    if (!r || !r->kind || r->group[0])
        return;
    if (strcmp(r->kind, "Namespace") == 0) {
        json_t *spec = ensure_obj(obj, "spec");
        json_t *fins = api_jarr(spec, "finalizers");
        bool has = false;
        size_t i;
        json_t *f;
        json_array_foreach(fins, i, f)
        {
            if (json_is_string(f) && strcmp(json_string_value(f), "kubernetes") == 0)
                has = true;
        }
        if (!has && spec) {
            if (!fins) {
                fins = json_array();
                if (fins)
                    json_object_set_new(spec, "finalizers", fins);
            }
            if (fins)
                json_array_append_new(fins, json_string("kubernetes"));
        }
        json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Active"));
    } else if (strcmp(r->kind, "Pod") == 0) { /* podStrategy.PrepareForCreate: a new status, Pending */
        json_t *st = json_object();
        if (st) {
            put(st, "phase", json_string_nocheck("Pending"));
            put(st, "qosClass", json_string_nocheck(pod_qos(api_jobj(obj, "spec"))));
        }
        put(obj, "status", st);
    }
}

/* ---- rbac.authorization.k8s.io/v1 (SetDefaults_RoleBinding, _ClusterRoleBinding, _Subject) ---- */

void
api_default_rbac_role(const struct api_resource *r, json_t *obj)
{
    (void)r;
    (void)obj;
}

void
api_default_rbac_clusterrole(const struct api_resource *r, json_t *obj)
{
    (void)r;
    (void)obj;
}

/* roleRef.apiGroup defaults to rbac.authorization.k8s.io (roleRef itself is a struct, never nil); a User or Group
 * subject's apiGroup to the same, a ServiceAccount's stays "". */
static void
default_binding(json_t *obj)
{
    json_t *ref = json_is_object(obj) ? ensure_obj(obj, "roleRef") : NULL;
    default_str(ref, "apiGroup", "rbac.authorization.k8s.io");
    size_t i;
    json_t *s;
    json_array_foreach(api_jarr(obj, "subjects"), i, s)
    {
        if (is_str(s, "kind", "User") || is_str(s, "kind", "Group"))
            default_str(s, "apiGroup", "rbac.authorization.k8s.io");
    }
}

void
api_default_rbac_rolebinding(const struct api_resource *r, json_t *obj)
{
    (void)r;
    default_binding(obj);
}

void
api_default_rbac_clusterrolebinding(const struct api_resource *r, json_t *obj)
{
    (void)r;
    default_binding(obj);
}

/* ---- ResourceQuota and LimitRange ---- */

/* No defaults of its own: the quantities as upstream writes them back. */
void
api_default_core_resourcequota(const struct api_resource *r, json_t *obj)
{
    (void)r;
    canon_quantity_map(api_jobj(api_jobj(obj, "spec"), "hard"));
    json_t *status = api_jobj(obj, "status");
    canon_quantity_map(api_jobj(status, "hard"));
    canon_quantity_map(api_jobj(status, "used"));
}

/* Copies into dst (an item's map, created when needed) every entry of src whose key dst lacks. */
static void
fill_missing(json_t *item, const char *dst_key, const json_t *src)
{
    if (!json_object_size(src))
        return;
    json_t *dst = api_jobj(item, dst_key);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)src, k, v)
    {
        if (dst && api_jget(dst, k))
            continue;
        if (!dst) {
            dst = json_object();
            if (!dst || json_object_set_new(item, dst_key, dst) != 0)
                return;
        }
        json_object_set_new(dst, k, json_deep_copy(v));
    }
}

/* SetDefaults_LimitRangeItem: for a Container limit, a missing default limit is the max, a missing default request
 * the default limit, else the min. */
void
api_default_core_limitrange(const struct api_resource *r, json_t *obj)
{
    (void)r;
    static const char *const maps[] = { "max", "min", "default", "defaultRequest", "maxLimitRequestRatio" };
    size_t i;
    json_t *item;
    json_array_foreach(api_jarr(api_jobj(obj, "spec"), "limits"), i, item)
    {
        for (size_t m = 0; m < sizeof(maps) / sizeof(maps[0]); m++)
            canon_quantity_map(api_jobj(item, maps[m]));
        if (!is_str(item, "type", "Container"))
            continue;
        fill_missing(item, "default", api_jobj(item, "max"));
        fill_missing(item, "defaultRequest", api_jobj(item, "default"));
        fill_missing(item, "defaultRequest", api_jobj(item, "min"));
    }
}
