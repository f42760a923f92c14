/* rest.c - the REST verbs on every resource of the table: get, list (selectors, limit/continue, resourceVersion),
 * create, update, patch, delete (graceful pods, finalizers, namespaces), deletecollection, and the subresources
 * status, scale, binding and log. Runs on worker threads: store calls may block. */
#include "api_exec.h"
#include "api_int.h"
#include "api_validate.h"
#include "kc_crypto.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_log.h"
#include "kc_patch.h"
#include "kc_k8sproto.h"
#include "kc_schema.h"
#include "kc_selector.h"
#include "kc_time.h"

#include <arpa/inet.h>
#include "kc_yaml.h"
#include <errno.h>
#include <inttypes.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_MAX_LIST_ITEMS 500000 /* a list without limit reads at most this many objects */

void
api_storage_key(const struct api_resource *r, const char *ns, const char *name, char *buf, size_t len)
{
    int n = snprintf(buf, len, "/registry/%s%s%s/", r->group[0] ? r->group : "", r->group[0] ? "/" : "", r->plural);
    if (r->namespaced && ns && *ns)
        n += snprintf(buf + n, len - (size_t)n, "%s/", ns);
    if (name && *name)
        snprintf(buf + n, len - (size_t)n, "%s", name);
}

static const char *
obj_name(const json_t *obj)
{
    const char *n = kc_json_get_string(obj, "metadata.name");
    return n ? n : "";
}

static void
now_string(char buf[KC_TIME_BUF])
{
    kc_time_format(kc_time_now(), buf);
}

/* --- request bodies --- */

/* Parses the request body as JSON into *obj. Replies 400 and returns -1 on error. */
int
api_parse_body(struct api_request *rq, struct api_reply *rep, json_t **obj)
{
    char err[256];
    if (!rq->body || rq->body_len == 0) {
        api_reply_statusf(rep, 400, "BadRequest", "the request body is empty");
        return -1;
    }
    /* the media type (parameters aside) picks the decoder, as upstream's negotiation does: JSON (also when there
     * is no Content-Type), YAML or protobuf (kc_k8sproto.h); anything else is 415 */
    const char *ct = rq->content_type ? rq->content_type : "";
    size_t ctn = strcspn(ct, "; \t");
    if (kc_k8sproto_is_media_type(ct)) {
        char av[128] = "";
        if (rq->res)
            api_resource_api_version(rq->res, av, sizeof(av));
        int rc = kc_k8sproto_decode(rq->body, rq->body_len, av, rq->res ? rq->res->kind : NULL, obj, err, sizeof(err));
        if (rc == KC_EUNSUPPORTED)
            api_reply_statusf(rep, 415, "UnsupportedMediaType", "%s; send it as application/json", err);
        else if (rc == KC_EPARSE)
            api_reply_statusf(rep, 400, "BadRequest", "the request body is not a valid protobuf object: %s", err);
        else if (rc != 0)
            api_reply_error(rep, rq, rc);
        return rc == 0 ? 0 : -1;
    } else if (ctn == 16 && strncasecmp(ct, "application/yaml", 16) == 0) {
        struct kc_yaml_error yerr = { 0 };
        int rc = kc_yaml_load_one(rq->body, rq->body_len, obj, &yerr);
        if (rc != 0) {
            if (rc == KC_EPARSE)
                api_reply_statusf(rep, 400, "BadRequest", "the request body is not valid YAML: %s", yerr.message);
            else
                api_reply_error(rep, rq, rc);
            return -1;
        }
    } else if (ctn != 0 && !(ctn == 16 && strncasecmp(ct, "application/json", 16) == 0)) {
        api_reply_statusf(rep, 415, "UnsupportedMediaType",
                          "the body of the request was in an unknown format - accepted media types include: "
                          "application/json, application/yaml, application/vnd.kubernetes.protobuf");
        return -1;
    } else if (kc_json_parse(rq->body, rq->body_len, obj, err, sizeof(err)) != 0) {
        api_reply_statusf(rep, 400, "BadRequest", "the request body is not valid JSON: %s", err);
        return -1;
    }
    if (!json_is_object(*obj)) {
        json_decref(*obj);
        api_reply_statusf(rep, 400, "BadRequest", "the request body must be a JSON object");
        return -1;
    }
    return 0;
}

/* Checks (and fills in when missing) apiVersion and kind against the URL. */
static int
check_type(struct api_request *rq, struct api_reply *rep, json_t *obj)
{
    char av[128];
    api_resource_api_version(rq->res, av, sizeof(av));
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *apiv = json_string_value(json_object_get(obj, "apiVersion"));
    if (!kind || !*kind)
        json_object_set_new(obj, "kind", json_string(rq->res->kind));
    else if (strcmp(kind, rq->res->kind) != 0) {
        api_reply_statusf(rep, 400, "BadRequest",
                          "the API version in the data (%s) does not match the expected API "
                          "version (%s)",
                          apiv ? apiv : "", av);
        if (apiv && strcmp(apiv, av) == 0)
            api_reply_statusf(rep, 400, "BadRequest", "the kind in the data (%s) does not match the expected kind (%s)",
                              kind, rq->res->kind);
        return -1;
    }
    if (!apiv || !*apiv)
        json_object_set_new(obj, "apiVersion", json_string(av));
    else if (strcmp(apiv, av) != 0) {
        api_reply_statusf(rep, 400, "BadRequest",
                          "the API version in the data (%s) does not match the expected API version (%s)", apiv, av);
        return -1;
    }
    return 0;
}

static json_t *
meta_of(json_t *obj)
{
    json_t *m = json_object_get(obj, "metadata");
    if (!json_is_object(m)) {
        m = json_object();
        json_object_set_new(obj, "metadata", m);
    }
    return m;
}

/* --- namespaces --- */

/* 0 when ns exists and is not terminating; else replies (404 or 403) and returns -1. */
static int
check_namespace(struct api_request *rq, struct api_reply *rep, const char *name)
{
    const struct api_resource *nsr = api_resource_find("", "v1", "namespaces");
    char key[512];
    json_t *ns;
    int64_t rev;
    api_storage_key(nsr, NULL, rq->namespace, key, sizeof(key));
    int rc = api_obj_get(rq->srv->store, key, &ns, &rev);
    if (rc == KC_ENOTFOUND) {
        json_decref(rep->body);
        rep->status = 404;
        char msg[512];
        snprintf(msg, sizeof(msg), "namespaces \"%s\" not found", rq->namespace);
        rep->body = api_status(404, "NotFound", msg, rq->namespace, NULL, "namespaces");
        return -1;
    }
    if (rc != 0) {
        api_reply_error(rep, rq, rc);
        return -1;
    }
    const char *phase = kc_json_get_string(ns, "status.phase");
    bool terminating = (phase && strcmp(phase, "Terminating") == 0) || kc_json_get(ns, "metadata.deletionTimestamp");
    json_decref(ns);
    if (terminating) {
        char msg[1024], res[160];
        snprintf(res, sizeof(res), "%s%s%s", rq->res->plural, rq->res->group[0] ? "." : "", rq->res->group);
        snprintf(msg, sizeof(msg),
                 "%s \"%s\" is forbidden: unable to create new content in namespace %s because it is being terminated",
                 res, name, rq->namespace);
        json_decref(rep->body);
        rep->status = 403;
        rep->body = api_status(403, "Forbidden", msg, name, rq->res->group, rq->res->plural);
        json_t *causes = json_pack("[{s:s,s:s,s:s}]", "reason", "NamespaceTerminating", "message",
                                   "namespace is being terminated", "field", "metadata.namespace");
        json_object_set_new(json_object_get(rep->body, "details"), "causes", causes);
        return -1;
    }
    return 0;
}

int
api_bootstrap_namespaces(struct api_server *srv)
{
    static const char *const names[] = { "default", "kube-system", "kube-public", "kube-node-lease" };
    const struct api_resource *nsr = api_resource_find("", "v1", "namespaces");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char key[256], ts[KC_TIME_BUF], uid[KC_UUID_LEN + 1];
        api_storage_key(nsr, NULL, names[i], key, sizeof(key));
        kc_uuid_v4(uid);
        now_string(ts);
        json_t *ns = json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:{s:s}},s:{s:[s]},s:{s:s}}", "kind", "Namespace", "apiVersion",
                               "v1", "metadata", "name", names[i], "uid", uid, "creationTimestamp", ts, "labels",
                               "kubernetes.io/metadata.name", names[i], "spec", "finalizers", "kubernetes", "status",
                               "phase", "Active");
        int64_t rev;
        int rc = api_obj_create(srv->store, key, ns, 0, &rev);
        json_decref(ns);
        if (rc != 0 && rc != KC_EEXIST)
            return rc;
    }
    return 0;
}

/* --- metadata on create and update --- */

static void
generate_name(const char *prefix, char *out, size_t len)
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789"; /* upstream's (no vowels, no ambiguity) */
    unsigned char r[5];
    RAND_bytes(r, sizeof(r));
    char suffix[6];
    for (int i = 0; i < 5; i++)
        suffix[i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
    suffix[5] = '\0';
    snprintf(out, len, "%s%s", prefix, suffix);
}

/* Everything but metadata and status, to tell spec changes (generation) apart. */
static bool
spec_changed(const json_t *a, const json_t *b)
{
    json_t *x = json_deep_copy(a), *y = json_deep_copy(b);
    json_object_del(x, "metadata");
    json_object_del(x, "status");
    json_object_del(y, "metadata");
    json_object_del(y, "status");
    bool changed = !kc_json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return changed;
}

/* --- Service cluster IPs and node ports --- */

static bool
ip_in_use(struct api_request *rq, const char *ip, const char *port_field, long port)
{
    char prefix[256];
    json_t *items;
    int64_t rev;
    bool more, used = false;
    api_storage_key(rq->res, NULL, NULL, prefix, sizeof(prefix));
    if (api_obj_list(rq->srv->store, prefix, 0, 0, NULL, &items, &rev, &more) != 0)
        return true;
    size_t i;
    json_t *svc;
    json_array_foreach(items, i, svc)
    {
        if (ip) {
            const char *cip = kc_json_get_string(svc, "spec.clusterIP");
            if (cip && strcmp(cip, ip) == 0)
                used = true;
        }
        if (port_field) {
            size_t k;
            json_t *p;
            json_array_foreach(kc_json_get(svc, "spec.ports"), k, p)
            {
                if (json_integer_value(json_object_get(p, port_field)) == port)
                    used = true;
            }
        }
    }
    json_decref(items);
    return used;
}

/* Allocates spec.clusterIP (unless set or "None") and node ports for NodePort/LoadBalancer services. Replies and
 * returns -1 when the range is full or the requested address is taken or out of range. */
static int
allocate_service(struct api_request *rq, struct api_reply *rep, json_t *svc, const json_t *old)
{
    struct api_server *srv = rq->srv;
    const char *type = kc_json_get_string(svc, "spec.type");
    int rc = 0;
    pthread_mutex_lock(&srv->ip_lock);
    if (!type || strcmp(type, "ExternalName") != 0) {
        const char *cip = kc_json_get_string(svc, "spec.clusterIP");
        const char *oldip = old ? kc_json_get_string(old, "spec.clusterIP") : NULL;
        if (oldip && (!cip || !*cip)) {
            kc_json_set(svc, "spec.clusterIP", json_string(oldip));
        } else if (!cip || !*cip) {
            uint32_t size = ~srv->svc_mask + 1;
            unsigned char r[4];
            RAND_bytes(r, sizeof(r));
            uint32_t start = ((uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3]) % size;
            bool found = false;
            for (uint32_t k = 0; k < size && !found; k++) {
                uint32_t off = (start + k) % size;
                if (off < 10 || off == size - 1) /* network address, the first ten (kube-dns's .10 included) */
                    continue;
                struct in_addr a = { htonl(srv->svc_net + off) };
                char ip[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &a, ip, sizeof(ip));
                if (!ip_in_use(rq, ip, NULL, 0)) {
                    kc_json_set(svc, "spec.clusterIP", json_string(ip));
                    kc_json_set(svc, "spec.clusterIPs", json_pack("[s]", ip));
                    found = true;
                }
            }
            if (!found) {
                api_reply_statusf(rep, 500, "InternalError", "failed to allocate a serviceIP: range is full");
                rc = -1;
            }
        } else if (strcmp(cip, "None") != 0 && !(oldip && strcmp(cip, oldip) == 0)) {
            struct in_addr a;
            if (inet_pton(AF_INET, cip, &a) != 1 || (ntohl(a.s_addr) & srv->svc_mask) != srv->svc_net) {
                struct api_errors e = { 0 };
                api_errors_addf(&e, API_REASON_INVALID, "spec.clusterIPs",
                                "Invalid value: [\"%s\"]: failed to allocate IP %s: the provided IP (%s) is not in "
                                "the valid range. The range of valid IPs is %s",
                                cip, cip, cip, srv->cfg.service_cluster_ip_range);
                api_reply_invalid(rep, rq, obj_name(svc), &e);
                rc = -1;
            } else if (ip_in_use(rq, cip, NULL, 0)) {
                struct api_errors e = { 0 };
                api_errors_addf(&e, API_REASON_INVALID, "spec.clusterIPs",
                                "Invalid value: [\"%s\"]: failed to allocate IP %s: provided IP is already allocated",
                                cip, cip);
                api_reply_invalid(rep, rq, obj_name(svc), &e);
                rc = -1;
            } else {
                kc_json_set(svc, "spec.clusterIPs", json_pack("[s]", cip));
            }
        }
    }
    if (rc == 0 && type && (strcmp(type, "NodePort") == 0 || strcmp(type, "LoadBalancer") == 0)) {
        size_t i;
        json_t *p;
        json_array_foreach(kc_json_get(svc, "spec.ports"), i, p)
        {
            json_int_t np = json_integer_value(json_object_get(p, "nodePort"));
            if (np)
                continue; /* given (validated to be in range), or kept from the old object */
            long oldnp = 0;
            size_t k;
            json_t *op;
            json_array_foreach(old ? kc_json_get(old, "spec.ports") : NULL, k, op)
            {
                if (json_integer_value(json_object_get(op, "port")) == json_integer_value(json_object_get(p, "port")))
                    oldnp = (long)json_integer_value(json_object_get(op, "nodePort"));
            }
            if (oldnp) {
                json_object_set_new(p, "nodePort", json_integer(oldnp));
                continue;
            }
            unsigned char r[2];
            RAND_bytes(r, sizeof(r));
            long start = 30000 + ((long)r[0] << 8 | r[1]) % 2768, got = 0;
            for (long k2 = 0; k2 < 2768 && !got; k2++) {
                long cand = 30000 + (start - 30000 + k2) % 2768;
                if (!ip_in_use(rq, NULL, "nodePort", cand))
                    got = cand;
            }
            if (!got) {
                api_reply_statusf(rep, 500, "InternalError", "failed to allocate a nodePort: range is full");
                rc = -1;
                break;
            }
            json_object_set_new(p, "nodePort", json_integer(got));
        }
    }
    pthread_mutex_unlock(&srv->ip_lock);
    return rc;
}

/* --- get and list --- */

static bool
dry_run(const struct api_request *rq)
{
    return rq->dry_run && strcmp(rq->dry_run, "All") == 0;
}

/* Removes kind/apiVersion from list items, as typed lists carry them only on the list. */
static void
strip_type(json_t *items)
{
    size_t i;
    json_t *o;
    json_array_foreach(items, i, o)
    {
        json_object_del(o, "kind");
        json_object_del(o, "apiVersion");
    }
}

static void
reply_object(struct api_request *rq, struct api_reply *rep, int status, json_t *obj)
{
    rep->status = status;
    if (rq->want_table && status < 300) {
        json_t *items = json_pack("[O]", obj);
        rep->body = api_table(rq, items, true, NULL, true);
        json_decref(items);
        json_decref(obj);
    } else {
        rep->body = obj;
    }
}

static void
do_get(struct api_request *rq, struct api_reply *rep)
{
    char key[1024];
    json_t *obj;
    int64_t rev;
    api_storage_key(rq->res, rq->namespace, rq->name, key, sizeof(key));
    int rc = api_obj_get(rq->srv->store, key, &obj, &rev);
    if (rc != 0) {
        api_reply_error(rep, rq, rc);
        return;
    }
    reply_object(rq, rep, 200, obj);
}

/* A continue token as upstream writes it: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"<key suffix>\u0000"}. */
static char *
make_continue(int64_t rv, const char *start)
{
    json_t *t = json_pack("{s:s,s:I,s:s}", "v", "meta.k8s.io/v1", "rv", (json_int_t)rv, "start", start);
    char *text = json_dumps(t, JSON_COMPACT);
    json_decref(t);
    char *b64 = text ? kc_base64_encode(text, strlen(text)) : NULL;
    free(text);
    return b64;
}

static int
parse_continue(const char *tok, int64_t *rv, char *start, size_t len)
{
    uint8_t *raw;
    size_t n;
    json_t *t;
    if (kc_base64_decode(tok, strlen(tok), &raw, &n) != 0)
        return -1;
    int rc = kc_json_parse((const char *)raw, n, &t, NULL, 0);
    free(raw);
    if (rc != 0)
        return -1;
    const char *s = json_string_value(json_object_get(t, "start"));
    json_int_t r = json_integer_value(json_object_get(t, "rv"));
    if (!s || r <= 0 || strcmp(json_string_value(json_object_get(t, "v")) ?: "", "meta.k8s.io/v1") != 0) {
        json_decref(t);
        return -1;
    }
    snprintf(start, len, "%s", s);
    *rv = r;
    json_decref(t);
    return 0;
}

/* Parses the selectors of a list or watch. Replies 400 on errors. */
int
api_parse_selectors(struct api_request *rq, struct api_reply *rep, struct kc_label_selector **ls,
                    struct kc_field_selector **fs)
{
    char err[512];
    *ls = NULL;
    *fs = NULL;
    if (rq->label_selector && kc_label_selector_parse(rq->label_selector, ls, err, sizeof(err)) != 0) {
        api_reply_statusf(rep, 400, "BadRequest", "%s", err);
        return -1;
    }
    if (rq->field_selector && kc_field_selector_parse(rq->field_selector, fs, err, sizeof(err)) != 0) {
        kc_label_selector_free(*ls);
        *ls = NULL;
        api_reply_statusf(rep, 400, "BadRequest", "%s", err);
        return -1;
    }
    if (*fs) {
        static const char *const always[] = { "metadata.name", "metadata.namespace", NULL };
        const char *const *allowed = rq->res->field_selectors;
        for (size_t i = 0; i < kc_field_selector_count(*fs); i++) {
            const char *field, *value;
            enum kc_field_op op;
            kc_field_selector_term(*fs, i, &field, &op, &value);
            bool ok = false;
            for (const char *const *a = always; *a; a++)
                ok = ok || strcmp(*a, field) == 0;
            for (const char *const *a = allowed; a && *a; a++)
                ok = ok || strcmp(*a, field) == 0;
            if (!ok) {
                char av[128];
                api_resource_api_version(rq->res, av, sizeof(av));
                api_reply_statusf(rep, 400, "BadRequest", "field label not supported: %s", field);
                kc_label_selector_free(*ls);
                kc_field_selector_free(*fs);
                *ls = NULL;
                *fs = NULL;
                return -1;
            }
        }
    }
    return 0;
}

bool
api_selectors_match(const struct kc_label_selector *ls, const struct kc_field_selector *fs, const json_t *obj)
{
    if (ls && !kc_label_selector_matches(ls, kc_json_get(obj, "metadata.labels")))
        return false;
    if (fs && !kc_field_selector_matches(fs, obj))
        return false;
    return true;
}

/* --- the list fast path: the response assembled from the stored bytes --- */

/* A growing output buffer; oom is set (and further adds ignored) when it cannot grow. */
struct rawbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void
rb_add(struct rawbuf *b, const void *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n)
            cap *= 2;
        char *p = kc_realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static size_t
skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* The index after the JSON string that starts at s[i] ('"'), or 0 when it is malformed. */
static size_t
scan_string(const char *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"')
            return i + 1;
        if (c < 0x20)
            return 0;
        if (c == '\\' && ++i >= n)
            return 0;
    }
    return 0;
}

/* The index after the JSON value that starts at s[i], or 0 when it is malformed or nested too deeply. Checks
 * the structure (strings, brackets, separators), not the spelling of numbers and literals. */
static size_t
scan_value(const char *s, size_t n, size_t i, int depth)
{
    if (i >= n || depth > 64)
        return 0;
    if (s[i] == '"')
        return scan_string(s, n, i);
    if (s[i] == '{' || s[i] == '[') {
        bool obj = s[i] == '{';
        char close = obj ? '}' : ']';
        i = skip_ws(s, n, i + 1);
        if (i < n && s[i] == close)
            return i + 1;
        for (;;) {
            if (obj) {
                if (i >= n || s[i] != '"' || !(i = scan_string(s, n, i)))
                    return 0;
                i = skip_ws(s, n, i);
                if (i >= n || s[i] != ':')
                    return 0;
                i = skip_ws(s, n, i + 1);
            }
            if (!(i = scan_value(s, n, i, depth + 1)))
                return 0;
            i = skip_ws(s, n, i);
            if (i >= n)
                return 0;
            if (s[i] == close)
                return i + 1;
            if (s[i] != ',')
                return 0;
            i = skip_ws(s, n, i + 1);
        }
    }
    size_t start = i;
    while (i < n && (strchr("+-.eE", s[i]) || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z')))
        i++;
    return i > start ? i : 0;
}

/* One member of an object: the key's bytes between its quotes, the span from the key's opening quote to the
 * end of the value, and where the value starts. */
struct member {
    const char *key;
    size_t key_len;
    size_t start, end, value;
};

/* Reads the member at *i of an object whose '{' is passed (first: no ',' before it). Returns 1 and m, 0 at the
 * closing '}' (*i after it), -1 when malformed or when the key has escapes (compared as bytes below). */
static int
next_member(const char *s, size_t n, size_t *i, bool first, struct member *m)
{
    size_t j = skip_ws(s, n, *i);
    if (j < n && s[j] == '}') {
        *i = j + 1;
        return 0;
    }
    if (!first) {
        if (j >= n || s[j] != ',')
            return -1;
        j = skip_ws(s, n, j + 1);
    }
    if (j >= n || s[j] != '"')
        return -1;
    size_t k = scan_string(s, n, j);
    if (!k || memchr(s + j + 1, '\\', k - j - 2))
        return -1;
    m->key = s + j + 1;
    m->key_len = k - j - 2;
    m->start = j;
    k = skip_ws(s, n, k);
    if (k >= n || s[k] != ':')
        return -1;
    k = skip_ws(s, n, k + 1);
    m->value = k;
    size_t e = scan_value(s, n, k, 1);
    if (!e)
        return -1;
    m->end = e;
    *i = e;
    return 1;
}

static bool
key_is(const struct member *m, const char *lit)
{
    return strlen(lit) == m->key_len && memcmp(m->key, lit, m->key_len) == 0;
}

/* Appends the metadata object at s[i] with resourceVersion (first) set to rv; -1 when it is not an object. */
static int
add_meta(struct rawbuf *b, const char *s, size_t n, size_t i, const char *rv)
{
    if (i >= n || s[i] != '{')
        return -1;
    rb_add(b, "{\"resourceVersion\":\"", 20);
    rb_add(b, rv, strlen(rv));
    rb_add(b, "\"", 1);
    i++;
    struct member m;
    int r;
    for (bool first = true; (r = next_member(s, n, &i, first, &m)) == 1; first = false) {
        if (key_is(&m, "resourceVersion"))
            continue;
        rb_add(b, ",", 1);
        rb_add(b, s + m.start, m.end - m.start);
    }
    rb_add(b, "}", 1);
    return r;
}

/* Appends a stored object as a list item: kind and apiVersion dropped, metadata.resourceVersion = rev. Returns
 * -1 when the object is not as expected (the caller takes the jansson path, which reports it). */
static int
add_item(struct rawbuf *b, const char *s, size_t n, int64_t rev)
{
    char rv[24];
    snprintf(rv, sizeof(rv), "%" PRId64, rev);
    size_t i = skip_ws(s, n, 0);
    if (i >= n || s[i] != '{')
        return -1;
    i++;
    rb_add(b, "{", 1);
    bool out_first = true, have_meta = false;
    struct member m;
    int r;
    for (bool first = true; (r = next_member(s, n, &i, first, &m)) == 1; first = false) {
        if (key_is(&m, "kind") || key_is(&m, "apiVersion"))
            continue;
        if (!out_first)
            rb_add(b, ",", 1);
        out_first = false;
        if (key_is(&m, "metadata")) {
            if (have_meta)
                return -1; /* a duplicate: leave it to the parser's rules */
            have_meta = true;
            rb_add(b, "\"metadata\":", 11);
            if (add_meta(b, s, n, m.value, rv) != 0)
                return -1;
        } else {
            rb_add(b, s + m.start, m.end - m.start);
        }
    }
    if (r != 0 || skip_ws(s, n, i) != n)
        return -1;
    if (!have_meta) {
        rb_add(b, out_first ? "\"metadata\":{\"resourceVersion\":\"" : ",\"metadata\":{\"resourceVersion\":\"",
               out_first ? 31 : 32);
        rb_add(b, rv, strlen(rv));
        rb_add(b, "\"}", 2);
    }
    rb_add(b, "}", 1);
    return 0;
}

struct raw_list {
    struct rawbuf out;
    size_t count;
    char last_key[2100];
};

/* api_obj_list_raw's callback: appends one item; 1 (stop, fall back) when it is unusual. */
static int
raw_list_item(const char *key, size_t key_len, const char *value, size_t value_len, int64_t mod_revision, void *arg)
{
    struct raw_list *l = arg;
    if (key_len >= sizeof(l->last_key) || memchr(key, '\0', key_len) || !value)
        return 1;
    memcpy(l->last_key, key, key_len);
    l->last_key[key_len] = '\0';
    if (l->count > 0)
        rb_add(&l->out, ",", 1);
    if (add_item(&l->out, value, value_len, mod_revision) != 0)
        return 1;
    l->count++;
    return l->out.oom ? -ENOMEM : 0;
}

/* Replies the error of a list's store read (at: the revision asked for, list_rev: the last one read). */
static void
list_error(struct api_request *rq, struct api_reply *rep, int rc, int64_t at, int64_t list_rev)
{
    if (rc == KC_ECOMPACTED && rq->continue_)
        api_reply_statusf(rep, 410, "Expired",
                          "The provided continue parameter is too old to display a consistent list result. You "
                          "can start a new list without the continue parameter.");
    else if (rc == KC_EFUTUREREV)
        api_reply_statusf(rep, 504, "Timeout", "Too large resource version: %s, current: %" PRId64,
                          rq->resource_version ? rq->resource_version : "", list_rev);
    else if (rc == KC_ECOMPACTED)
        api_reply_statusf(rep, 410, "Expired", "too old resource version: %" PRId64, at);
    else
        api_reply_error(rep, rq, rc);
}

/* The whole list of a plain JSON list request (no selectors, no Table) from the stored bytes: one range read
 * of at most limit keys (without selectors every object read is an item, so this gives the jansson path's
 * pages and continue token), answered as a raw body. Returns 0 after replying (store errors as list_error), or
 * 1 when the caller should take the jansson path (an unusual stored object, or no memory for the header). */
static int
list_fast(struct api_request *rq, struct api_reply *rep, const char *prefix, int64_t at, int64_t limit,
          const char *afterp)
{
    struct raw_list *l = kc_calloc(1, sizeof(*l));
    if (!l)
        return 1;
    int64_t list_rev = 0;
    bool more = false;
    int rc = api_obj_list_raw(rq->srv->store, prefix, at, limit, afterp, raw_list_item, l, &list_rev, &more);
    if (rc != 0 && rc != 1 && rc != -ENOMEM) {
        free(l->out.p);
        free(l);
        list_error(rq, rep, rc, at, list_rev);
        return 0;
    }
    json_t *meta = NULL, *head = NULL;
    char *htext = NULL;
    if (rc == 0)
        meta = json_pack("{s:o}", "resourceVersion", json_sprintf("%" PRId64, list_rev));
    if (meta && limit && more && l->count > 0) {
        char *tok = make_continue(list_rev, l->last_key + strlen(prefix));
        if (tok)
            json_object_set_new(meta, "continue", json_string(tok));
        free(tok);
    }
    if (meta) {
        char av[128], kind[160];
        api_resource_api_version(rq->res, av, sizeof(av));
        snprintf(kind, sizeof(kind), "%sList", rq->res->kind);
        head = json_pack("{s:s,s:s,s:o}", "kind", kind, "apiVersion", av, "metadata", meta);
    }
    htext = head ? json_dumps(head, JSON_COMPACT) : NULL;
    json_decref(head);
    /* {"kind":..,"apiVersion":..,"metadata":{..}} without its '}', then ,"items":[<items>]} */
    size_t hlen = htext ? strlen(htext) - 1 : 0, ilen = l->out.len;
    char *body = htext ? kc_realloc(l->out.p, hlen + 10 + ilen + 2) : NULL;
    if (!body) {
        free(htext);
        free(l->out.p);
        free(l);
        return 1;
    }
    memmove(body + hlen + 10, body, ilen);
    memcpy(body, htext, hlen);
    memcpy(body + hlen, ",\"items\":[", 10);
    memcpy(body + hlen + 10 + ilen, "]}", 2);
    free(htext);
    free(l);
    rep->status = 200;
    rep->raw = body;
    rep->raw_len = hlen + 10 + ilen + 2;
    return 0;
}

static void
do_list(struct api_request *rq, struct api_reply *rep)
{
    struct kc_label_selector *ls;
    struct kc_field_selector *fs;
    if (api_parse_selectors(rq, rep, &ls, &fs) != 0)
        return;
    char prefix[1024], start[1024] = "";
    api_storage_key(rq->res, rq->namespace, NULL, prefix, sizeof(prefix));
    int64_t at = 0, limit = 0;
    if (rq->limit) {
        limit = strtoll(rq->limit, NULL, 10);
        if (limit < 0)
            limit = 0;
    }
    if (rq->continue_ && *rq->continue_) {
        if (parse_continue(rq->continue_, &at, start, sizeof(start)) != 0) {
            api_reply_statusf(rep, 400, "BadRequest",
                              "continue key is not valid: incorrect encoded start resourceVersion "
                              "(version meta.k8s.io/v1)");
            goto out;
        }
    } else if (rq->resource_version && *rq->resource_version && strcmp(rq->resource_version, "0") != 0) {
        char *end;
        int64_t v = strtoll(rq->resource_version, &end, 10);
        if (*end || v <= 0) {
            api_reply_statusf(rep, 400, "BadRequest",
                              "resourceVersion: Invalid value: \"%s\": must be a non-negative integer",
                              rq->resource_version);
            goto out;
        }
        if (rq->resource_version_match && strcmp(rq->resource_version_match, "Exact") == 0)
            at = v;
        /* NotOlderThan (and the legacy default): the current state is not older than v */
    }

    char after[2100];
    snprintf(after, sizeof(after), "%s%s", prefix, start);
    const char *afterp = start[0] ? after : NULL;
    /* A plain JSON list is assembled from the stored bytes, without parsing them (1: take the jansson path). */
    if (!ls && !fs && !rq->want_table && list_fast(rq, rep, prefix, at, limit, afterp) == 0)
        goto out;

    json_t *items = json_array();
    int64_t list_rev = 0;
    bool more = true;
    char last_key[2100] = "";
    /* Read pages until limit matching objects are collected (selectors filter after reading), as upstream. */
    while (more) {
        json_t *page;
        int64_t want = limit ? limit - (int64_t)json_array_size(items) : 0;
        int64_t chunk = limit ? (want < 100 ? 100 : want) : 0;
        int rc = api_obj_list(rq->srv->store, prefix, at, chunk, afterp, &page, &list_rev, &more);
        if (rc != 0) {
            json_decref(items);
            list_error(rq, rep, rc, at, list_rev);
            goto out;
        }
        at = list_rev; /* every further page reads the same snapshot */
        size_t i;
        json_t *o;
        bool full = false;
        json_array_foreach(page, i, o)
        {
            const char *ns = kc_json_get_string(o, "metadata.namespace");
            snprintf(last_key, sizeof(last_key), "%s%s%s%s", prefix, rq->namespace[0] || !ns ? "" : ns,
                     rq->namespace[0] || !ns ? "" : "/", obj_name(o));
            if (api_selectors_match(ls, fs, o))
                json_array_append(items, o);
            if (limit && (int64_t)json_array_size(items) >= limit) {
                full = true;
                more = more || i + 1 < json_array_size(page);
                break;
            }
        }
        json_decref(page);
        if (full || json_array_size(items) > API_MAX_LIST_ITEMS)
            break;
        afterp = last_key;
    }
    json_t *meta = json_pack("{s:o}", "resourceVersion", json_sprintf("%" PRId64, list_rev));
    if (limit && more && last_key[0]) {
        char *tok = make_continue(list_rev, last_key + strlen(prefix));
        if (tok)
            json_object_set_new(meta, "continue", json_string(tok));
        free(tok);
    }
    rep->status = 200;
    if (rq->want_table) {
        rep->body = api_table(rq, items, false, meta, true);
        json_decref(items);
        json_decref(meta);
    } else {
        strip_type(items);
        char av[128], kind[160];
        api_resource_api_version(rq->res, av, sizeof(av));
        snprintf(kind, sizeof(kind), "%sList", rq->res->kind);
        rep->body = json_pack("{s:s,s:s,s:o,s:o}", "kind", kind, "apiVersion", av, "metadata", meta, "items", items);
    }
out:
    kc_label_selector_free(ls);
    kc_field_selector_free(fs);
}

/* --- create, update --- */

/* Common checks and preparation of a new object: type, namespace, name/generateName, defaults, validation.
 * Returns 0 with obj ready to store, or -1 after replying. */
static int
prepare_create(struct api_request *rq, struct api_reply *rep, json_t *obj)
{
    const struct api_resource *r = rq->res;
    json_t *meta = meta_of(obj);
    if (check_type(rq, rep, obj) != 0)
        return -1;
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    if (r->namespaced) {
        if (ns && *ns && strcmp(ns, rq->namespace) != 0) {
            api_reply_statusf(rep, 400, "BadRequest",
                              "the namespace of the provided object does not match the namespace sent on the request");
            return -1;
        }
        if (!rq->namespace[0]) {
            api_reply_statusf(rep, 404, "NotFound", "the server could not find the requested resource");
            return -1;
        }
        json_object_set_new(meta, "namespace", json_string(rq->namespace));
    } else {
        json_object_del(meta, "namespace");
    }
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *gen = json_string_value(json_object_get(meta, "generateName"));
    if ((!name || !*name) && gen && *gen) {
        char n[300];
        generate_name(gen, n, sizeof(n));
        json_object_set_new(meta, "name", json_string(n));
    }
    snprintf(rq->name, sizeof(rq->name), "%s", obj_name(obj));

    /* Server-set metadata: whatever the client sent is replaced, as upstream does on create. */
    char uid[KC_UUID_LEN + 1], ts[KC_TIME_BUF];
    kc_uuid_v4(uid);
    now_string(ts);
    json_object_set_new(meta, "uid", json_string(uid));
    json_object_set_new(meta, "creationTimestamp", json_string(ts));
    json_object_del(meta, "resourceVersion");
    json_object_del(meta, "deletionTimestamp");
    json_object_del(meta, "deletionGracePeriodSeconds");
    json_object_del(meta, "selfLink");
    if (r->generation_on_spec)
        json_object_set_new(meta, "generation", json_integer(1));
    else
        json_object_del(meta, "generation");
    if (r->subs & API_SUB_STATUS)
        json_object_del(obj, "status");
    if (strcmp(r->kind, "Pod") == 0 && !r->group[0])
        json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Pending"));
    if (strcmp(r->kind, "Namespace") == 0) {
        json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Active"));
        kc_json_set(obj, "spec.finalizers", json_pack("[s]", "kubernetes")); /* upstream's PrepareForCreate */
        json_t *labels = json_object_get(meta, "labels");
        if (!json_is_object(labels)) {
            labels = json_object();
            json_object_set_new(meta, "labels", labels);
        }
        json_object_set_new(labels, "kubernetes.io/metadata.name", json_string(rq->name));
    }

    api_prepare_create(r, obj); /* what upstream's strategies set on create (pod qosClass, ...) */
    if (r->defaults)
        r->defaults(r, obj);
    struct api_errors errs = { 0 };
    api_validate_meta(r, obj, NULL, &errs);
    if (r->validate)
        r->validate(r, obj, NULL, &errs);
    if (errs.n) {
        api_reply_invalid(rep, rq, rq->name, &errs);
        return -1;
    }
    if (r->namespaced && check_namespace(rq, rep, rq->name) != 0)
        return -1;
    if (strcmp(r->kind, "Service") == 0 && !r->group[0] && allocate_service(rq, rep, obj, NULL) != 0)
        return -1;
    return 0;
}

/* Events expire after --event-ttl through a store lease, as kube-apiserver's: one lease is shared by the events
 * created within a minute (or the TTL, when shorter; the lease's TTL is the event TTL plus that window), so a
 * burst of events costs one lease. */
#define API_LEASE_REUSE_S 60

static int
event_lease(struct api_server *srv, int64_t *lease)
{
    int64_t now = kc_time_mono_ns() / 1000000000;
    int64_t reuse = srv->cfg.event_ttl_s < API_LEASE_REUSE_S ? srv->cfg.event_ttl_s : API_LEASE_REUSE_S;
    pthread_mutex_lock(&srv->ip_lock);
    if (srv->event_lease && now - srv->event_lease_at < reuse) {
        *lease = srv->event_lease;
        pthread_mutex_unlock(&srv->ip_lock);
        return 0;
    }
    int rc = api_store_lease_grant(srv->store, srv->cfg.event_ttl_s + reuse, lease);
    if (rc == 0) {
        srv->event_lease = *lease;
        srv->event_lease_at = now;
    }
    pthread_mutex_unlock(&srv->ip_lock);
    return rc;
}

static void
do_create(struct api_request *rq, struct api_reply *rep)
{
    json_t *obj;
    if (api_parse_body(rq, rep, &obj) != 0)
        return;
    if (prepare_create(rq, rep, obj) != 0) {
        json_decref(obj);
        return;
    }
    if (dry_run(rq)) {
        reply_object(rq, rep, 201, obj);
        return;
    }
    char key[1024];
    int64_t rev;
    api_storage_key(rq->res, rq->namespace, rq->name, key, sizeof(key));
    int64_t lease = 0;
    int rc = 0;
    if (strcmp(rq->res->kind, "Event") == 0)
        rc = event_lease(rq->srv, &lease);
    if (rc == 0)
        rc = api_obj_create(rq->srv->store, key, obj, lease, &rev);
    if (rc != 0) {
        json_decref(obj);
        api_reply_error(rep, rq, rc);
        return;
    }
    kc_json_set(obj, "metadata.resourceVersion", json_sprintf("%" PRId64, rev));
    reply_object(rq, rep, 201, obj);
}

/* Carries what only the server may set from old to obj; bumps generation on spec changes. status_only: the
 * /status subresource (only .status is taken from obj). Returns the object to store (new reference). */
enum update_mode { UPDATE_MAIN, UPDATE_STATUS, UPDATE_FINALIZE };

static json_t *
merge_update(const struct api_resource *r, const json_t *old, json_t *obj, enum update_mode mode)
{
    json_t *out;
    bool status_only = mode == UPDATE_STATUS;
    if (mode == UPDATE_FINALIZE) { /* namespaces/<name>/finalize: only spec.finalizers changes */
        out = json_deep_copy(old);
        json_t *f = kc_json_get(obj, "spec.finalizers");
        kc_json_set(out, "spec.finalizers", f ? json_incref(f) : json_array());
        return out;
    }
    if (status_only) {
        out = json_deep_copy(old);
        json_t *st = json_object_get(obj, "status");
        if (st)
            json_object_set(out, "status", st);
        else
            json_object_del(out, "status");
        return out;
    }
    out = json_incref(obj);
    json_t *meta = meta_of(out);
    static const char *const keep[] = { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                                        "generation" };
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        char path[64];
        snprintf(path, sizeof(path), "metadata.%s", keep[i]);
        json_t *v = kc_json_get(old, path);
        if (v)
            json_object_set(meta, keep[i], v);
        else
            json_object_del(meta, keep[i]);
    }
    json_object_del(meta, "resourceVersion");
    if (r->subs & API_SUB_STATUS) {
        json_t *st = json_object_get(old, "status");
        if (st)
            json_object_set(out, "status", st);
        else
            json_object_del(out, "status");
    }
    if (strcmp(r->kind, "Namespace") == 0 && !r->group[0]) {
        /* spec.finalizers changes only through /finalize, as upstream's PrepareForUpdate keeps them */
        json_t *f = kc_json_get(old, "spec.finalizers");
        if (f)
            kc_json_set(out, "spec.finalizers", json_incref(f));
        else
            kc_json_del(out, "spec.finalizers");
    }
    if (r->generation_on_spec && spec_changed(old, out)) {
        json_int_t g = json_integer_value(kc_json_get(old, "metadata.generation"));
        json_object_set_new(meta, "generation", json_integer(g + 1));
    }
    return out;
}

/* Stores a full new version of the object named by rq, from a complete object (PUT) or a patched copy. */
static void
finish_update(struct api_request *rq, struct api_reply *rep, json_t *obj, const json_t *old, int64_t old_rev,
              enum update_mode mode)
{
    bool status_only = mode != UPDATE_MAIN;
    const struct api_resource *r = rq->res;
    if (check_type(rq, rep, obj) != 0) {
        json_decref(obj);
        return;
    }
    const char *name = obj_name(obj);
    if (strcmp(name, rq->name) != 0) {
        api_reply_statusf(rep, 400, "BadRequest", "the name of the object (%s) does not match the name on the URL (%s)",
                          name, rq->name);
        json_decref(obj);
        return;
    }
    json_t *meta = meta_of(obj);
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    if (r->namespaced && ns && *ns && strcmp(ns, rq->namespace) != 0) {
        api_reply_statusf(rep, 400, "BadRequest",
                          "the namespace of the provided object does not match the namespace sent on the request");
        json_decref(obj);
        return;
    }
    if (r->namespaced)
        json_object_set_new(meta, "namespace", json_string(rq->namespace));
    int64_t expected = 0;
    const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
    if (rv && *rv) {
        expected = strtoll(rv, NULL, 10);
        if (expected != old_rev) {
            json_decref(obj);
            api_reply_error(rep, rq, KC_ECONFLICT);
            return;
        }
    } else {
        expected = old_rev; /* an unconditional update still must not lose a concurrent one */
    }
    json_t *next = merge_update(r, old, obj, mode);
    json_decref(obj);
    if (!status_only && r->defaults)
        r->defaults(r, next);
    struct api_errors errs = { 0 };
    api_validate_meta(r, next, old, &errs);
    if (r->validate)
        r->validate(r, next, old, &errs);
    if (errs.n) {
        api_reply_invalid(rep, rq, rq->name, &errs);
        json_decref(next);
        return;
    }
    if (!status_only && strcmp(r->kind, "Service") == 0 && !r->group[0] && allocate_service(rq, rep, next, old) != 0) {
        json_decref(next);
        return;
    }
    /* An object being deleted whose last finalizer went away is removed now. */
    if (kc_json_get(next, "metadata.deletionTimestamp") &&
        json_array_size(kc_json_get(next, "metadata.finalizers")) == 0 &&
        !(strcmp(r->kind, "Pod") == 0 && !r->group[0] && kc_json_get_string(next, "spec.nodeName"))) {
        char key[1024];
        int64_t rev;
        api_storage_key(r, rq->namespace, rq->name, key, sizeof(key));
        int rc = dry_run(rq) ? 0 : api_obj_delete(rq->srv->store, key, expected, &rev);
        if (rc != 0) {
            json_decref(next);
            api_reply_error(rep, rq, rc);
            return;
        }
        reply_object(rq, rep, 200, next);
        return;
    }
    if (dry_run(rq)) {
        kc_json_set(next, "metadata.resourceVersion", json_sprintf("%" PRId64, old_rev));
        reply_object(rq, rep, 200, next);
        return;
    }
    /* An update that changes nothing is not written: the resourceVersion stays (upstream's GuaranteedUpdate
     * compares the bytes), which is how `kubectl patch` tells "patched (no change)". */
    kc_json_set(next, "metadata.resourceVersion", json_sprintf("%" PRId64, old_rev));
    if (json_equal(next, old)) {
        reply_object(rq, rep, 200, next);
        return;
    }
    char key[1024];
    int64_t rev;
    api_storage_key(r, rq->namespace, rq->name, key, sizeof(key));
    int rc = api_obj_update(rq->srv->store, key, next, expected, &rev);
    if (rc != 0) {
        json_decref(next);
        api_reply_error(rep, rq, rc);
        return;
    }
    kc_json_set(next, "metadata.resourceVersion", json_sprintf("%" PRId64, rev));
    reply_object(rq, rep, 200, next);
}

static void
do_update(struct api_request *rq, struct api_reply *rep, enum update_mode mode)
{
    json_t *obj, *old;
    int64_t old_rev;
    if (api_parse_body(rq, rep, &obj) != 0)
        return;
    char key[1024];
    api_storage_key(rq->res, rq->namespace, rq->name, key, sizeof(key));
    int rc = api_obj_get(rq->srv->store, key, &old, &old_rev);
    if (rc != 0) {
        json_decref(obj);
        api_reply_error(rep, rq, rc);
        return;
    }
    finish_update(rq, rep, obj, old, old_rev, mode);
    json_decref(old);
}

/* --- patch --- */

static void
do_patch(struct api_request *rq, struct api_reply *rep, enum update_mode mode)
{
    const char *ct = rq->content_type ? rq->content_type : "";
    enum { MERGE, JSONPATCH, STRATEGIC } type;
    if (strncmp(ct, "application/merge-patch+json", 28) == 0)
        type = MERGE;
    else if (strncmp(ct, "application/json-patch+json", 27) == 0)
        type = JSONPATCH;
    else if (strncmp(ct, "application/strategic-merge-patch+json", 38) == 0)
        type = STRATEGIC;
    else if (strncmp(ct, "application/apply-patch+yaml", 28) == 0) {
        api_reply_statusf(rep, 415, "UnsupportedMediaType",
                          "server-side apply (application/apply-patch+yaml) is not implemented yet");
        return;
    } else {
        api_reply_statusf(rep, 415, "UnsupportedMediaType",
                          "the body of the request was in an unknown format - accepted media types include: "
                          "application/json-patch+json, application/merge-patch+json, "
                          "application/strategic-merge-patch+json");
        return;
    }
    json_t *patch;
    char err[512];
    if (kc_json_parse(rq->body ? rq->body : "", rq->body_len, &patch, err, sizeof(err)) != 0) {
        api_reply_statusf(rep, 400, "BadRequest", "the request body is not valid JSON: %s", err);
        return;
    }
    json_t *old;
    int64_t old_rev;
    char key[1024];
    api_storage_key(rq->res, rq->namespace, rq->name, key, sizeof(key));
    int rc = api_obj_get(rq->srv->store, key, &old, &old_rev);
    if (rc != 0) {
        json_decref(patch);
        api_reply_error(rep, rq, rc);
        return;
    }
    json_t *doc = json_deep_copy(old);
    /* A resourceVersion in the patch is a precondition (409 on mismatch); none means "the current one". */
    switch (type) {
    case MERGE:
        rc = kc_patch_merge(&doc, patch);
        break;
    case JSONPATCH:
        rc = kc_patch_json(&doc, patch, err, sizeof(err));
        break;
    case STRATEGIC:
        rc = kc_patch_strategic(&doc, patch, kc_schema_find(rq->res->schema), err, sizeof(err));
        break;
    }
    json_decref(patch);
    if (rc != 0) {
        json_decref(doc);
        json_decref(old);
        if (rc == KC_ECONFLICT)
            api_reply_statusf(rep, 409, "Conflict", "%s", err);
        else
            api_reply_statusf(rep, 422, "Invalid", "%s", err[0] ? err : kc_strerror(rc));
        return;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        json_decref(old);
        api_reply_statusf(rep, 422, "Invalid", "the patched object is not a JSON object");
        return;
    }
    const char *prv = kc_json_get_string(doc, "metadata.resourceVersion");
    if (!prv || strtoll(prv, NULL, 10) == old_rev) {
        kc_json_del(doc, "metadata.resourceVersion");
        kc_json_set(doc, "metadata.resourceVersion", json_sprintf("%" PRId64, old_rev));
    }
    finish_update(rq, rep, doc, old, old_rev, mode);
    json_decref(old);
}

/* --- delete --- */

struct delete_opts {
    int64_t grace; /* -1: not given */
    const char *propagation;
    const char *pre_uid, *pre_rv;
    json_t *body;
};

static int
parse_delete_opts(struct api_request *rq, struct api_reply *rep, struct delete_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->grace = -1;
    if (rq->grace_period)
        o->grace = strtoll(rq->grace_period, NULL, 10);
    o->propagation = rq->propagation_policy;
    if (rq->body && rq->body_len) {
        char err[256];
        if (kc_json_parse(rq->body, rq->body_len, &o->body, err, sizeof(err)) != 0) {
            api_reply_statusf(rep, 400, "BadRequest", "the DeleteOptions body is not valid JSON: %s", err);
            return -1;
        }
        json_t *g = json_object_get(o->body, "gracePeriodSeconds");
        if (json_is_integer(g))
            o->grace = json_integer_value(g);
        const char *p = json_string_value(json_object_get(o->body, "propagationPolicy"));
        if (p)
            o->propagation = p;
        o->pre_uid = kc_json_get_string(o->body, "preconditions.uid");
        o->pre_rv = kc_json_get_string(o->body, "preconditions.resourceVersion");
    }
    if (o->propagation && strcmp(o->propagation, "Orphan") != 0 && strcmp(o->propagation, "Background") != 0 &&
        strcmp(o->propagation, "Foreground") != 0) {
        api_reply_statusf(rep, 422, "Invalid",
                          "DeleteOptions.propagationPolicy: Unsupported value: \"%s\": supported "
                          "values: \"Foreground\", \"Background\", \"Orphan\"",
                          o->propagation);
        json_decref(o->body);
        return -1;
    }
    return 0;
}

/* Deletes one object: graceful for bound pods, deferred by finalizers, namespaces become Terminating. *result is
 * the object as answered (new reference). */
static int
delete_one(struct api_request *rq, const char *key, const struct delete_opts *o, json_t **result)
{
    const struct api_resource *r = rq->res;
    json_t *obj;
    int64_t rev;
    int rc = api_obj_get(rq->srv->store, key, &obj, &rev);
    if (rc != 0)
        return rc;
    if ((o->pre_uid && strcmp(o->pre_uid, kc_json_get_string(obj, "metadata.uid") ?: "") != 0) ||
        (o->pre_rv && strtoll(o->pre_rv, NULL, 10) != rev)) {
        json_decref(obj);
        return KC_ECONFLICT;
    }
    bool is_pod = strcmp(r->kind, "Pod") == 0 && !r->group[0];
    bool is_ns = strcmp(r->kind, "Namespace") == 0 && !r->group[0];
    int64_t grace = o->grace;
    if (is_pod && grace < 0) {
        json_t *g = kc_json_get(obj, "spec.terminationGracePeriodSeconds");
        grace = json_is_integer(g) ? json_integer_value(g) : 30;
    }
    bool bound = is_pod && kc_json_get_string(obj, "spec.nodeName") && *kc_json_get_string(obj, "spec.nodeName");
    bool finalizers = json_array_size(kc_json_get(obj, "metadata.finalizers")) > 0 ||
                      (is_ns && json_array_size(kc_json_get(obj, "spec.finalizers")) > 0);
    bool graceful = (is_pod && bound && grace > 0) || finalizers;
    if (graceful) {
        if (!kc_json_get(obj, "metadata.deletionTimestamp")) {
            char ts[KC_TIME_BUF];
            struct kc_time t = kc_time_now();
            t.sec += is_pod ? grace : 0;
            kc_time_format(t, ts);
            kc_json_set(obj, "metadata.deletionTimestamp", json_string(ts));
            kc_json_set(obj, "metadata.deletionGracePeriodSeconds", json_integer(is_pod ? grace : 0));
            if (is_ns)
                kc_json_set(obj, "status.phase", json_string("Terminating"));
            int64_t nrev;
            kc_json_del(obj, "metadata.resourceVersion");
            rc = dry_run(rq) ? 0 : api_obj_update(rq->srv->store, key, obj, rev, &nrev);
            if (rc != 0) {
                json_decref(obj);
                return rc;
            }
            kc_json_set(obj, "metadata.resourceVersion", json_sprintf("%" PRId64, dry_run(rq) ? rev : nrev));
        }
        *result = obj;
        return 0;
    }
    int64_t drev;
    rc = dry_run(rq) ? 0 : api_obj_delete(rq->srv->store, key, rev, &drev);
    if (rc != 0) {
        json_decref(obj);
        return rc;
    }
    *result = obj;
    return 0;
}

static void
do_delete(struct api_request *rq, struct api_reply *rep)
{
    struct delete_opts o;
    if (parse_delete_opts(rq, rep, &o) != 0)
        return;
    char key[1024];
    json_t *obj;
    api_storage_key(rq->res, rq->namespace, rq->name, key, sizeof(key));
    int rc = delete_one(rq, key, &o, &obj);
    json_decref(o.body);
    if (rc != 0) {
        if (rc == KC_ECONFLICT && (o.pre_uid || o.pre_rv))
            api_reply_statusf(rep, 409, "Conflict",
                              "Operation cannot be fulfilled on %s \"%s\": Precondition failed: UID in precondition: "
                              "%s, UID in object meta: %s",
                              rq->res->plural, rq->name, o.pre_uid ? o.pre_uid : "", "");
        else
            api_reply_error(rep, rq, rc);
        return;
    }
    reply_object(rq, rep, 200, obj);
}

static void
do_deletecollection(struct api_request *rq, struct api_reply *rep)
{
    struct delete_opts o;
    struct kc_label_selector *ls;
    struct kc_field_selector *fs;
    if (parse_delete_opts(rq, rep, &o) != 0)
        return;
    if (api_parse_selectors(rq, rep, &ls, &fs) != 0) {
        json_decref(o.body);
        return;
    }
    char prefix[1024];
    json_t *items, *deleted = json_array();
    int64_t rev;
    bool more;
    api_storage_key(rq->res, rq->namespace, NULL, prefix, sizeof(prefix));
    int rc = api_obj_list(rq->srv->store, prefix, 0, 0, NULL, &items, &rev, &more);
    if (rc == 0) {
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
            if (!api_selectors_match(ls, fs, it))
                continue;
            char key[1024];
            json_t *res;
            api_storage_key(rq->res, kc_json_get_string(it, "metadata.namespace"), obj_name(it), key, sizeof(key));
            if (delete_one(rq, key, &o, &res) == 0)
                json_array_append_new(deleted, res);
        }
        json_decref(items);
    }
    kc_label_selector_free(ls);
    kc_field_selector_free(fs);
    json_decref(o.body);
    if (rc != 0) {
        json_decref(deleted);
        api_reply_error(rep, rq, rc);
        return;
    }
    strip_type(deleted);
    char av[128], kind[160];
    api_resource_api_version(rq->res, av, sizeof(av));
    snprintf(kind, sizeof(kind), "%sList", rq->res->kind);
    rep->status = 200;
    rep->body = json_pack("{s:s,s:s,s:{s:o},s:o}", "kind", kind, "apiVersion", av, "metadata", "resourceVersion",
                          json_sprintf("%" PRId64, rev), "items", deleted);
}

/* --- subresources: binding, scale, log --- */

static void
do_binding(struct api_request *rq, struct api_reply *rep)
{
    json_t *b;
    if (api_parse_body(rq, rep, &b) != 0)
        return;
    const char *node = kc_json_get_string(b, "target.name");
    if (!node || !*node) {
        json_decref(b);
        struct api_errors e = { 0 };
        api_errors_add(&e, API_REASON_REQUIRED, "target.name", "Required value");
        api_reply_invalid(rep, rq, rq->name, &e);
        return;
    }
    char key[1024];
    json_t *pod;
    int64_t rev;
    api_storage_key(rq->res, rq->namespace, rq->name, key, sizeof(key));
    int rc = api_obj_get(rq->srv->store, key, &pod, &rev);
    if (rc != 0) {
        json_decref(b);
        api_reply_error(rep, rq, rc);
        return;
    }
    const char *cur = kc_json_get_string(pod, "spec.nodeName");
    if (cur && *cur) {
        api_reply_statusf(rep, 409, "Conflict",
                          "Operation cannot be fulfilled on pods/binding \"%s\": pod %s is already assigned to node "
                          "\"%s\"",
                          rq->name, rq->name, cur);
        json_decref(pod);
        json_decref(b);
        return;
    }
    if (kc_json_get(pod, "metadata.deletionTimestamp")) {
        api_reply_statusf(rep, 409, "Conflict",
                          "Operation cannot be fulfilled on pods/binding \"%s\": pod %s is being "
                          "deleted, cannot be assigned to a host",
                          rq->name, rq->name);
        json_decref(pod);
        json_decref(b);
        return;
    }
    kc_json_set(pod, "spec.nodeName", json_string(node));
    kc_json_del(pod, "metadata.resourceVersion");
    int64_t nrev;
    rc = dry_run(rq) ? 0 : api_obj_update(rq->srv->store, key, pod, rev, &nrev);
    json_decref(pod);
    json_decref(b);
    if (rc != 0) {
        api_reply_error(rep, rq, rc);
        return;
    }
    rep->status = 201;
    rep->body = json_pack("{s:s,s:s,s:{},s:s,s:i}", "kind", "Status", "apiVersion", "v1", "metadata", "status",
                          "Success", "code", 201);
}

static json_t *
scale_of(const struct api_request *rq, const json_t *obj)
{
    json_t *meta = json_deep_copy(json_object_get(obj, "metadata"));
    json_t *sel = kc_json_get(obj, "spec.selector");
    char *selstr = NULL;
    struct kc_label_selector *ls;
    char err[256];
    if (sel && kc_label_selector_from_json(sel, &ls, err, sizeof(err)) == 0) {
        selstr = kc_label_selector_string(ls);
        kc_label_selector_free(ls);
    }
    json_t *spec = json_object(), *status = json_object();
    json_t *rep_ = kc_json_get(obj, "spec.replicas");
    json_object_set_new(spec, "replicas", json_integer(json_is_integer(rep_) ? json_integer_value(rep_) : 1));
    json_object_set_new(status, "replicas", json_integer(json_integer_value(kc_json_get(obj, "status.replicas"))));
    if (selstr && *selstr)
        json_object_set_new(status, "selector", json_string(selstr));
    free(selstr);
    (void)rq;
    return json_pack("{s:s,s:s,s:o,s:o,s:o}", "kind", "Scale", "apiVersion", "autoscaling/v1", "metadata", meta, "spec",
                     spec, "status", status);
}

static void
do_scale(struct api_request *rq, struct api_reply *rep, const char *method_verb)
{
    char key[1024];
    json_t *obj;
    int64_t rev;
    api_storage_key(rq->res, rq->namespace, rq->name, key, sizeof(key));
    int rc = api_obj_get(rq->srv->store, key, &obj, &rev);
    if (rc != 0) {
        api_reply_error(rep, rq, rc);
        return;
    }
    if (strcmp(method_verb, "get") == 0) {
        rep->status = 200;
        rep->body = scale_of(rq, obj);
        json_decref(obj);
        return;
    }
    json_t *scale = scale_of(rq, obj), *patched = NULL;
    char err[256];
    if (strcmp(method_verb, "update") == 0) {
        if (kc_json_parse(rq->body ? rq->body : "", rq->body_len, &patched, err, sizeof(err)) != 0) {
            api_reply_statusf(rep, 400, "BadRequest", "the request body is not valid JSON: %s", err);
            goto out;
        }
    } else {
        json_t *patch;
        if (kc_json_parse(rq->body ? rq->body : "", rq->body_len, &patch, err, sizeof(err)) != 0) {
            api_reply_statusf(rep, 400, "BadRequest", "the request body is not valid JSON: %s", err);
            goto out;
        }
        patched = json_deep_copy(scale);
        const char *ct = rq->content_type ? rq->content_type : "";
        if (strncmp(ct, "application/json-patch+json", 27) == 0)
            rc = kc_patch_json(&patched, patch, err, sizeof(err));
        else
            rc = kc_patch_merge(&patched, patch); /* merge and strategic agree on Scale: no lists */
        json_decref(patch);
        if (rc != 0) {
            api_reply_statusf(rep, 422, "Invalid", "%s", err);
            goto out;
        }
    }
    json_t *r = kc_json_get(patched, "spec.replicas");
    if (!json_is_integer(r) || json_integer_value(r) < 0) {
        struct api_errors e = { 0 };
        api_errors_addf(&e, API_REASON_INVALID, "spec.replicas",
                        "Invalid value: %lld: must be greater than or equal to 0", (long long)json_integer_value(r));
        api_reply_invalid(rep, rq, rq->name, &e);
        goto out;
    }
    const char *prv = kc_json_get_string(patched, "metadata.resourceVersion");
    if (prv && *prv && strtoll(prv, NULL, 10) != rev) {
        api_reply_error(rep, rq, KC_ECONFLICT);
        goto out;
    }
    json_t *next = json_deep_copy(obj);
    kc_json_set(next, "spec.replicas", json_integer(json_integer_value(r)));
    if (rq->res->generation_on_spec && spec_changed(obj, next))
        kc_json_set(next, "metadata.generation",
                    json_integer(json_integer_value(kc_json_get(obj, "metadata.generation")) + 1));
    kc_json_del(next, "metadata.resourceVersion");
    int64_t nrev = rev;
    rc = dry_run(rq) ? 0 : api_obj_update(rq->srv->store, key, next, rev, &nrev);
    if (rc != 0) {
        json_decref(next);
        api_reply_error(rep, rq, rc);
        goto out;
    }
    kc_json_set(next, "metadata.resourceVersion", json_sprintf("%" PRId64, nrev));
    rep->status = 200;
    rep->body = scale_of(rq, next);
    json_decref(next);
out:
    json_decref(patched);
    json_decref(scale);
    json_decref(obj);
}

static void
do_log(struct api_request *rq, struct api_reply *rep)
{
    char key[1024];
    json_t *pod;
    int64_t rev;
    api_storage_key(rq->res, rq->namespace, rq->name, key, sizeof(key));
    int rc = api_obj_get(rq->srv->store, key, &pod, &rev);
    if (rc != 0) {
        api_reply_error(rep, rq, rc);
        return;
    }
    const char *node = kc_json_get_string(pod, "spec.nodeName");
    if (!node || !*node)
        api_reply_statusf(rep, 400, "BadRequest", "pod %s does not have a host assigned", rq->name);
    else
        api_reply_statusf(rep, 501, "NotImplemented",
                          "pods/log: the kubelet's log endpoint is not implemented yet (pod %s is on node %s)",
                          rq->name, node);
    json_decref(pod);
}

/* --- dispatch --- */

static bool
verb_allowed(const struct api_resource *r, const char *verb)
{
    static const struct {
        const char *name;
        unsigned bit;
    } verbs[] = { { "get", API_VERB_GET },       { "list", API_VERB_LIST },
                  { "watch", API_VERB_WATCH },   { "create", API_VERB_CREATE },
                  { "update", API_VERB_UPDATE }, { "patch", API_VERB_PATCH },
                  { "delete", API_VERB_DELETE }, { "deletecollection", API_VERB_DELETECOLLECTION } };
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(verbs[i].name, verb) == 0)
            return (r->verbs & verbs[i].bit) != 0;
    return false;
}

void
api_rest_handle(struct api_request *rq, struct api_reply *rep)
{
    const struct api_resource *r = rq->res;
    const char *verb = rq->verb;
    if (!r->namespaced && rq->namespace[0]) {
        api_reply_statusf(rep, 404, "NotFound", "the server could not find the requested resource");
        return;
    }
    if (rq->sub[0] && strcmp(rq->sub, "finalize") == 0 && strcmp(r->kind, "Namespace") == 0 && !r->group[0]) {
        if (strcmp(verb, "update") == 0)
            do_update(rq, rep, UPDATE_FINALIZE);
        else
            api_reply_statusf(rep, 405, "MethodNotAllowed",
                              "the server does not allow this method on the "
                              "requested resource");
        return;
    }
    if (rq->sub[0]) {
        const char *sub = rq->sub;
        unsigned bit = strcmp(sub, "status") == 0                                 ? API_SUB_STATUS
                       : strcmp(sub, "scale") == 0                                ? API_SUB_SCALE
                       : strcmp(sub, "binding") == 0                              ? API_SUB_BINDING
                       : strcmp(sub, "log") == 0                                  ? API_SUB_LOG
                       : (strcmp(sub, "exec") == 0 || strcmp(sub, "attach") == 0) ? API_SUB_EXEC
                       : strcmp(sub, "eviction") == 0                             ? API_SUB_EVICTION
                                                                                  : 0;
        if (!bit || !(r->subs & bit)) {
            api_reply_statusf(rep, 404, "NotFound", "the server could not find the requested resource");
            return;
        }
        if (bit == API_SUB_STATUS) {
            if (strcmp(verb, "get") == 0)
                do_get(rq, rep);
            else if (strcmp(verb, "update") == 0)
                do_update(rq, rep, UPDATE_STATUS);
            else if (strcmp(verb, "patch") == 0)
                do_patch(rq, rep, UPDATE_STATUS);
            else
                api_reply_statusf(rep, 405, "MethodNotAllowed",
                                  "the server does not allow this method on the "
                                  "requested resource");
            return;
        }
        if (bit == API_SUB_SCALE) {
            if (strcmp(verb, "get") == 0 || strcmp(verb, "update") == 0 || strcmp(verb, "patch") == 0)
                do_scale(rq, rep, verb);
            else
                api_reply_statusf(rep, 405, "MethodNotAllowed",
                                  "the server does not allow this method on the "
                                  "requested resource");
            return;
        }
        if (bit == API_SUB_BINDING) {
            if (strcmp(verb, "create") == 0)
                do_binding(rq, rep);
            else
                api_reply_statusf(rep, 405, "MethodNotAllowed",
                                  "the server does not allow this method on the "
                                  "requested resource");
            return;
        }
        if (bit == API_SUB_LOG && strcmp(verb, "get") == 0) {
            do_log(rq, rep);
            return;
        }
        if (bit == API_SUB_EXEC) { /* exec.c: the WebSocket upgrade, proxied to the pod's kubelet */
            api_exec_handle(rq, rep);
            return;
        }
        api_reply_statusf(rep, 501, "NotImplemented", "%s/%s is not implemented yet", r->plural, sub);
        return;
    }
    if (!verb_allowed(r, verb)) {
        api_reply_statusf(rep, 405, "MethodNotAllowed",
                          "the server does not allow this method on the requested "
                          "resource");
        return;
    }
    if (strcmp(verb, "get") == 0)
        do_get(rq, rep);
    else if (strcmp(verb, "list") == 0)
        do_list(rq, rep);
    else if (strcmp(verb, "create") == 0) {
        if (rq->name[0]) {
            api_reply_statusf(rep, 405, "MethodNotAllowed",
                              "the server does not allow this method on the requested "
                              "resource");
            return;
        }
        do_create(rq, rep);
    } else if (strcmp(verb, "update") == 0)
        do_update(rq, rep, false);
    else if (strcmp(verb, "patch") == 0)
        do_patch(rq, rep, false);
    else if (strcmp(verb, "delete") == 0)
        do_delete(rq, rep);
    else if (strcmp(verb, "deletecollection") == 0)
        do_deletecollection(rq, rep);
    else
        api_reply_statusf(rep, 405, "MethodNotAllowed",
                          "the server does not allow this method on the requested "
                          "resource");
}
