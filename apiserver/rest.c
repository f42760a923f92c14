/* rest.c - the REST verbs on every resource of the table: get, list (selectors, limit/continue, resourceVersion),
 * create, update, patch, delete (graceful pods, finalizers, namespaces), deletecollection, and the subresources
 * status, scale, binding, log and eviction. Runs on worker threads: store calls may block. */
#include "api_codec.h"
#include "api_exec.h"
#include "api_int.h"
#include "api_list.h"
#include "api_satoken.h"
#include "api_rawjson.h"
#include "api_validate.h"
#include "kc_crypto.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_jarena.h"
#include "kc_json.h"
#include "kc_k8sproto.h"
#include "kc_log.h"
#include "kc_patch.h"
#include "kc_schema.h"
#include "kc_selector.h"
#include "kc_str.h"
#include "kc_time.h"
#include "kc_yaml.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
api_storage_key(const struct api_resource *r, const char *ns, const char *name, char *buf, size_t len)
{
    const char *parts[] = { "/registry/",
                            r->group,
                            r->group[0] ? "/" : "",
                            r->plural,
                            "/",
                            r->namespaced && ns ? ns : "",
                            r->namespaced && ns && *ns ? "/" : "",
                            name ? name : "" };
    size_t n = 0;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        n += kc_str_copy(buf + n, len - n, parts[i]);
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
    } else if ((*obj = api_raw_parse(rq->body, rq->body_len, true)) != NULL) {
        rq->body_unique_keys = true;
    } else if (kc_json_parse(rq->body, rq->body_len, obj, err, sizeof(err)) != 0) {
        /* api_raw_parse is jansson's strict parse, several times faster; what it gives up on (a repeated key,
         * \u0000 in a string, very deep nesting) jansson decides: a repeated key decodes with the last one
         * winning, as upstream's decoder does (field validation reports it, apply.c) */
        json_error_t je;
        if (!(*obj = json_loadb(rq->body, rq->body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je))) {
            api_reply_statusf(rep, 400, "BadRequest", "the request body is not valid JSON: %s", err);
            return -1;
        }
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

/* A namespace's state as check_namespace needs it, read from its stored text where that can tell. */
struct ns_state {
    bool found, known, terminating;
};

#define API_NS_KEY_MAX 320 /* the longest namespace key ns_state_lend remembers (a name is at most 63 bytes) */

static int
ns_state_lend(void *arg, const struct kvs_resp *resp)
{
    struct ns_state *st = arg;
    if (resp->n_kvs == 0)
        return 0;
    st->found = true;
    /* The last answer on this thread, by key and mod_revision (one value per key and revision): a burst of creates
     * in one namespace reads the same record each time. */
    static __thread struct {
        char key[API_NS_KEY_MAX];
        size_t key_len;
        int64_t mod_revision;
        bool terminating;
    } last;
    const struct kvs_kv *kv = &resp->kvs[0];
    if (kv->mod_revision == last.mod_revision && kv->key_len == last.key_len &&
        memcmp(kv->key, last.key, kv->key_len) == 0) {
        st->terminating = last.terminating;
        st->known = true;
        return 0;
    }
    static __thread struct api_raw_shape sh; /* large: not on the stack */
    size_t vs, ve, ds, de, len;
    const char *text;
    char *owned;
    if (api_codec_open(kv->value, kv->value_len, &text, &len, &owned) != 0)
        return 0;
    int phase = -1, deleting = -1;
    if (api_raw_shape(text, len, &sh) == 0) {
        phase = api_raw_get(&sh, "status.phase", &vs, &ve);
        deleting = api_raw_get(&sh, "metadata.deletionTimestamp", &ds, &de);
    }
    if (phase < 0 || deleting < 0 || (phase == 1 && memchr(sh.s + vs, '\\', ve - vs))) {
        free(owned);
        return 0; /* jansson's reading decides (an escape in the phase, an array on the way) */
    }
    st->terminating = deleting == 1 || (phase == 1 && ve - vs == 13 && memcmp(sh.s + vs, "\"Terminating\"", 13) == 0);
    st->known = true;
    free(owned);
    if (kv->key_len <= sizeof(last.key)) {
        memcpy(last.key, kv->key, kv->key_len);
        last.key_len = kv->key_len;
        last.mod_revision = kv->mod_revision;
        last.terminating = st->terminating;
    }
    return 0;
}

/* 0 when ns exists and is not terminating; else replies (404 or 403) and returns -1. */
static int
check_namespace(struct api_request *rq, struct api_reply *rep, const char *name)
{
    const struct api_resource *nsr = api_resource_find("", "v1", "namespaces");
    char key[512];
    api_storage_key(nsr, NULL, rq->namespace, key, sizeof(key));
    struct ns_state st = { 0 };
    struct kvs_range_req req = { .key = kvs_str(key) };
    int rc = api_store_range_lend(rq->srv->store, &req, ns_state_lend, &st);
    if (rc == 0 && !st.found)
        rc = KC_ENOTFOUND;
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
    bool terminating = st.terminating;
    if (!st.known) { /* the text needs parsing to tell */
        json_t *ns;
        int64_t rev;
        if ((rc = api_obj_get(rq->srv->store, key, &ns, &rev)) != 0) {
            api_reply_error(rep, rq, rc);
            return -1;
        }
        const char *phase = kc_json_get_string(ns, "status.phase");
        terminating = (phase && strcmp(phase, "Terminating") == 0) || kc_json_get(ns, "metadata.deletionTimestamp");
        json_decref(ns);
    }
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

int (*api_name_random)(unsigned char *buf, int n) = RAND_bytes;

void
api_generate_name(const char *prefix, const unsigned char rnd[API_NAME_SUFFIX_LEN], char *out, size_t len)
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789"; /* upstream's (no vowels, no ambiguity) */
    char suffix[API_NAME_SUFFIX_LEN + 1];
    for (int i = 0; i < API_NAME_SUFFIX_LEN; i++)
        suffix[i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
    suffix[API_NAME_SUFFIX_LEN] = '\0';
    /* upstream's SimpleNameGenerator cuts the prefix so that the name fits 63 bytes, whatever the kind allows */
    int keep = (int)strnlen(prefix, API_NAME_PREFIX_MAX);
    snprintf(out, len, "%.*s%s", keep, prefix, suffix);
}

/* Whether a create that failed with rc is attempted again: its name was generated and is taken, and attempts are
 * left (upstream's RetryGenerateName, GA in 1.32: the store's Create runs up to maxNameGenerationCreateAttempts
 * times, each with a new name, before the 409 AlreadyExists reaches the client). */
static bool
retry_generated_name(const struct api_request *rq, int rc)
{
    return rc == KC_EEXIST && rq->name_attempts > 0 && rq->name_attempts < API_NAME_ATTEMPTS;
}

/* What a create's attempt left in rq and rep that the next one must not see: the name it generated (the URL of a
 * create names none), the warnings its decoding gave (the next one gives them again). */
static void
next_create_attempt(struct api_request *rq, struct api_reply *rep)
{
    rq->name[0] = '\0';
    for (int i = 0; i < rep->nwarnings; i++)
        free(rep->warnings[i]);
    rep->nwarnings = 0;
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

/* LIST is list.c's (api_list). */

/* --- create, update --- */

/* Whether a create's metadata.resourceVersion is one upstream's storage refuses: what its versioner reads as a
 * number other than 0 (strconv.ParseUint: decimal digits that fit 64 bits). Text it cannot read ("-1", "abc") and
 * "0" are let through, as upstream lets them (kubernetes/kubernetes#113847). */
static bool
rv_set_on_create(const char *rv)
{
    if (!rv || !*rv)
        return false;
    uint64_t v = 0;
    for (const char *p = rv; *p; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    return v != 0;
}

/* Whether a pod's toleration t tolerates the NoExecute taint `key`: its key is that one or empty (every key), its
 * effect NoExecute or empty (every effect) - the DefaultTolerationSeconds plugin's test, which does not look at
 * the operator. */
static bool
tolerates_no_execute(const json_t *t, const char *key)
{
    const char *k = api_jstr(t, "key"), *e = api_jstr(t, "effect");
    return (!k || !*k || strcmp(k, key) == 0) && (!e || !*e || strcmp(e, "NoExecute") == 0);
}

/* kube-apiserver's DefaultTolerationSeconds admission plugin (on by default), for pods created or updated through
 * their main endpoint: a pod that tolerates neither the not-ready nor the unreachable NoExecute taint of a node
 * gets a toleration of each for --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds
 * (300), so that the node lifecycle evicts it after that long instead of at once. It runs as upstream's mutating
 * admission does: after defaulting and managedFields (the tolerations it adds are no manager's), before
 * validation. */
static void
admit_default_tolerations(const struct api_request *rq, json_t *pod)
{
    const struct api_resource *r = rq->res;
    if (strcmp(r->kind, "Pod") != 0 || r->group[0])
        return;
    static const char *const keys[2] = { "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable" };
    const int64_t secs[2] = { rq->srv->cfg.default_not_ready_toleration_s,
                              rq->srv->cfg.default_unreachable_toleration_s };
    json_t *spec = api_jobj(pod, "spec"), *list = api_jget(spec, "tolerations");
    if (!spec || (list && !json_is_array(list) && !json_is_null(list)))
        return; /* not a pod validation can take: it says what is wrong */
    bool tolerated[2] = { false, false };
    size_t i;
    json_t *t;
    json_array_foreach(list, i, t)
    {
        for (int k = 0; k < 2; k++)
            tolerated[k] = tolerated[k] || tolerates_no_execute(t, keys[k]);
    }
    for (int k = 0; k < 2; k++) {
        if (tolerated[k])
            continue;
        if (!json_is_array(list)) {
            list = json_array();
            json_object_set_new(spec, "tolerations", list);
        }
        /* Go's member order: key, operator, value, effect, tolerationSeconds */
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I}", "key", keys[k], "operator", "Exists", "effect",
                                              "NoExecute", "tolerationSeconds", (json_int_t)secs[k]));
    }
}

/* Whether a StorageClass is annotated as the default (upstream's IsDefaultAnnotation: the GA annotation or its beta
 * form, "true"). */
static bool
default_storage_class(const json_t *sc)
{
    const json_t *a = kc_json_get(sc, "metadata.annotations");
    const char *ga = api_jstr(a, "storageclass.kubernetes.io/is-default-class"),
               *beta = api_jstr(a, "storageclass.beta.kubernetes.io/is-default-class");
    return (ga && strcmp(ga, "true") == 0) || (beta && strcmp(beta, "true") == 0);
}

/* kube-apiserver's DefaultStorageClass admission plugin (on by default), for PersistentVolumeClaims created: a claim
 * that asks for no class (no spec.storageClassName - "" asks for none - and no volume.beta.kubernetes.io/
 * storage-class annotation) gets the default StorageClass's name; with several defaults the newest, then the
 * first by name (upstream's GetDefaultClass since 1.26); with none the claim is stored as sent. Returns 0, or -1
 * after replying (the classes could not be read: upstream's lister cannot fail, so this is k8c's own 500). */
static int
admit_default_storage_class(struct api_request *rq, struct api_reply *rep, json_t *pvc)
{
    const struct api_resource *r = rq->res;
    if (strcmp(r->kind, "PersistentVolumeClaim") != 0 || r->group[0])
        return 0;
    json_t *spec = api_jobj(pvc, "spec");
    if (!spec || api_jget(spec, "storageClassName") ||
        api_jget(api_jobj(api_jobj(pvc, "metadata"), "annotations"), "volume.beta.kubernetes.io/storage-class"))
        return 0; /* asks for a class (or for none), or validation says what is wrong with it */
    const struct api_resource *scr = api_resource_find("storage.k8s.io", "v1", "storageclasses");
    char prefix[256];
    api_storage_key(scr, NULL, NULL, prefix, sizeof(prefix));
    json_t *items;
    int64_t rev;
    bool more;
    int rc = api_obj_list(rq->srv->store, prefix, 0, 0, NULL, &items, &rev, &more);
    if (rc != 0) {
        api_reply_error(rep, rq, rc);
        return -1;
    }
    const char *best = NULL; /* the chosen class's name */
    struct kc_time best_t = { 0, 0 };
    size_t i;
    json_t *sc;
    json_array_foreach(items, i, sc)
    {
        const char *name = kc_json_get_string(sc, "metadata.name");
        if (!name || !default_storage_class(sc))
            continue;
        struct kc_time t = { 0, 0 };
        const char *ts = kc_json_get_string(sc, "metadata.creationTimestamp");
        if (!ts || kc_time_parse(ts, &t) != 0)
            t = (struct kc_time){ 0, 0 };
        int newer = !best                   ? 1
                    : t.sec != best_t.sec   ? (t.sec > best_t.sec ? 1 : -1)
                    : t.nsec != best_t.nsec ? (t.nsec > best_t.nsec ? 1 : -1)
                                            : 0;
        if (newer > 0 || (newer == 0 && strcmp(name, best) < 0)) {
            best = name;
            best_t = t;
        }
    }
    if (best)
        json_object_set_new(spec, "storageClassName", json_string(best));
    json_decref(items);
    return 0;
}

/* Common checks and preparation of a new object: type, namespace, name/generateName, defaults, managedFields (an
 * Update entry when track; a server-side apply brings its own), validation. Returns 0 with obj ready to store, or
 * -1 after replying. */
static int
prepare_create(struct api_request *rq, struct api_reply *rep, json_t *obj, bool track)
{
    const struct api_resource *r = rq->res;
    json_t *meta = meta_of(obj);
    bool asked_finalizers = kc_json_get(obj, "spec.finalizers") != NULL;
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
        unsigned char rnd[API_NAME_SUFFIX_LEN];
        if (api_name_random(rnd, (int)sizeof(rnd)) != 1) {
            api_reply_statusf(rep, 500, "InternalError", "no random bytes for a generated name");
            return -1;
        }
        api_generate_name(gen, rnd, n, sizeof(n));
        json_object_set_new(meta, "name", json_string(n));
        rq->name_attempts++;
    }
    kc_str_copy(rq->name, sizeof(rq->name), obj_name(obj));

    /* Server-set metadata: whatever the client sent is replaced, as upstream does on create. */
    char uid[KC_UUID_LEN + 1], ts[KC_TIME_BUF];
    kc_uuid_v4(uid);
    now_string(ts);
    json_object_set_new(meta, "uid", json_string(uid));
    json_object_set_new(meta, "creationTimestamp", json_string(ts));
    rq->create_rv_set = rv_set_on_create(json_string_value(json_object_get(meta, "resourceVersion")));
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

    api_prepare_create(r, obj); /* what upstream's strategies set on create (a pod's status, ...) */
    if (r->defaults)
        r->defaults(r, obj);
    if (track) {
        /* upstream's fieldmanager sees the decoded, defaulted object: a namespace's spec.finalizers (set by
         * PrepareForCreate) and a Service's ClusterIP (allocated later) are not the client's */
        json_t *tracked = NULL;
        if (strcmp(r->kind, "Namespace") == 0 && !r->group[0] && !asked_finalizers && (tracked = json_deep_copy(obj)))
            kc_json_del(tracked, "spec.finalizers");
        api_managed_update(rq, NULL, tracked, obj, rq->managed_as_text ? &rq->managed_text : NULL);
        json_decref(tracked);
    }
    admit_default_tolerations(rq, obj);
    if (admit_default_storage_class(rq, rep, obj) != 0)
        return -1;
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

/* The reply of a create that the store answered (rc, rev, and json: the stored bytes with their resourceVersion,
 * NULL for a Table reply). Takes obj and json. */
static void
created_reply(struct api_request *rq, struct api_reply *rep, json_t *obj, int rc, int64_t rev, char *json,
              size_t json_len)
{
    if (rc != 0) {
        json_decref(obj);
        free(json);
        api_reply_error(rep, rq, rc);
        return;
    }
    if (json) { /* the reply is the bytes stored, with their resourceVersion: no second encoding */
        json_decref(obj);
        rep->status = 201;
        rep->raw = json;
        rep->raw_len = json_len;
        return;
    }
    kc_json_set(obj, "metadata.resourceVersion", json_sprintf("%" PRId64, rev));
    reply_object(rq, rep, 201, obj);
}

bool
api_rest_on_loop(const struct api_request *rq)
{
    const struct api_resource *r = rq->res;
    return r && strcmp(rq->verb, "create") == 0 && !rq->sub[0] && !rq->name[0] && api_store_has_async(rq->srv->store) &&
           strcmp(r->kind, "Event") != 0 && !(strcmp(r->kind, "Service") == 0 && !r->group[0]);
}

bool
api_rest_finish(struct api_request *rq, struct api_reply *rep)
{
    json_t *obj = rq->pending_obj;
    char *json = NULL;
    size_t json_len = 0;
    int64_t rev = 0;
    int rc = api_obj_create_finish(rq->pending, obj, &rev, rq->want_table ? NULL : &json, &json_len);
    rq->pending = NULL;
    rq->pending_obj = NULL;
    if (retry_generated_name(rq, rc)) {
        json_decref(obj);
        free(json);
        next_create_attempt(rq, rep);
        return true;
    }
    created_reply(rq, rep, obj, rc, rev, json, json_len);
    return false;
}

/* Stores a prepared new object and replies 201 (takes obj); with rq->async_done, starts the write and leaves
 * the reply to api_rest_finish. obj's managedFields may be in rq->managed_text instead: only when do_create chose
 * rq->managed_as_text, which is for the asynchronous write alone. Returns true, without a reply, when the write
 * found the generated name taken and the create is to be attempted again (retry_generated_name). */
static bool
store_create(struct api_request *rq, struct api_reply *rep, json_t *obj)
{
    bool text = rq->managed_text.len > 0;
    char key[1024];
    int64_t rev = 0;
    api_storage_key(rq->res, rq->namespace, rq->name, key, sizeof(key));
    if (dry_run(rq)) {
        /* upstream's DryRunnableStorage.Create: nothing is written, but a name that is taken is still a 409 */
        json_t *old = NULL;
        int rc = api_obj_get(rq->srv->store, key, &old, &rev);
        json_decref(old);
        rc = rc == 0 ? KC_EEXIST : rc == KC_ENOTFOUND ? 0 : rc;
        if (retry_generated_name(rq, rc)) {
            json_decref(obj);
            return true;
        }
        if (rc == 0)
            reply_object(rq, rep, 201, obj);
        else
            created_reply(rq, rep, obj, rc, 0, NULL, 0);
        return false;
    }
    if (rq->create_rv_set) { /* upstream's etcd3 store: ErrResourceVersionSetOnCreate, answered as a bare 500 */
        json_decref(obj);
        api_reply_statusf(rep, 500, "", "resourceVersion should not be set on objects to be created");
        return false;
    }
    int64_t lease = 0;
    int rc = 0;
    if (strcmp(rq->res->kind, "Event") == 0)
        rc = event_lease(rq->srv, &lease);
    if (rq->async_done) { /* on the loop: never wait here */
        if (rc == 0)
            rc = api_obj_create_start(rq->srv->store, key, obj, text ? rq->managed_text.p : NULL,
                                      text ? rq->managed_text.len : 0, lease, rq->async_done, rq->async_arg,
                                      &rq->pending);
        if (rc == 0 && !rq->want_table && !api_obj_create_needs_obj(rq->pending)) {
            json_decref(obj); /* freed now, while it is in the cache: the reply is made from the stored bytes */
            obj = NULL;
        }
        if (rc == 0) {
            rq->pending_obj = obj;
        } else if (retry_generated_name(rq, rc)) {
            json_decref(obj);
            return true;
        } else {
            created_reply(rq, rep, obj, rc, 0, NULL, 0);
        }
        return false;
    }
    char *json = NULL;
    size_t json_len = 0;
    if (rc == 0)
        rc = api_obj_create_json(rq->srv->store, key, obj, lease, &rev, rq->want_table ? NULL : &json, &json_len);
    if (retry_generated_name(rq, rc)) {
        json_decref(obj);
        free(json);
        return true;
    }
    created_reply(rq, rep, obj, rc, rev, json, json_len);
    return false;
}

/* A create from the body. Each attempt decodes it afresh, as upstream's retry starts from a copy of the decoded
 * object (a generated name is taken: store_create here, api_rest_finish on the loop, where server.c starts the
 * next attempt). */
static void
do_create(struct api_request *rq, struct api_reply *rep)
{
    bool again;
    do {
        json_t *obj;
        if (api_check_options(rq, rep, "CreateOptions", false) != 0 || api_parse_body(rq, rep, &obj) != 0)
            return;
        /* the asynchronous write encodes managedFields from text (api_obj_create_start): no tree is built for them */
        rq->managed_as_text = rq->async_done && !dry_run(rq) && !rq->want_table;
        again = false;
        if (api_strict_body(rq, rep, obj) != 0 || prepare_create(rq, rep, obj, true) != 0)
            json_decref(obj);
        else
            again = store_create(rq, rep, obj);
        kc_sb_free(&rq->managed_text);
        if (again)
            next_create_attempt(rq, rep);
    } while (again);
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

/* Stores a full new version of the object named by rq, from a complete object (PUT), a patched copy or a
 * server-side apply's result; track: record an Update in managedFields (an apply brings its own). */
static void
finish_update(struct api_request *rq, struct api_reply *rep, json_t *obj, const json_t *old, int64_t old_rev,
              enum update_mode mode, bool track)
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
    if (!track && mode == UPDATE_STATUS) { /* an apply to /status brings the object's managedFields */
        json_t *mf = kc_json_get(obj, "metadata.managedFields");
        if (mf)
            kc_json_set(next, "metadata.managedFields", json_incref(mf));
        else
            kc_json_del(next, "metadata.managedFields");
    }
    json_decref(obj);
    if (!status_only && r->defaults)
        r->defaults(r, next);
    if (track)
        api_managed_update(rq, old, NULL, next, NULL);
    if (mode == UPDATE_MAIN)
        admit_default_tolerations(rq, next);
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
    if (api_check_options(rq, rep, "UpdateOptions", false) != 0 || api_parse_body(rq, rep, &obj) != 0)
        return;
    if (api_strict_body(rq, rep, obj) != 0) {
        json_decref(obj);
        return;
    }
    char key[1024];
    api_storage_key(rq->res, rq->namespace, rq->name, key, sizeof(key));
    int rc = api_obj_get(rq->srv->store, key, &old, &old_rev);
    if (rc != 0) {
        json_decref(obj);
        api_reply_error(rep, rq, rc);
        return;
    }
    finish_update(rq, rep, obj, old, old_rev, mode, true);
    json_decref(old);
}

/* Server-side apply: the object is created when missing (main resource only), else updated (apply.c computes
 * the object and its managedFields). */
static void
do_apply(struct api_request *rq, struct api_reply *rep, enum update_mode mode)
{
    if (api_check_options(rq, rep, "PatchOptions", true) != 0)
        return;
    json_t *old = NULL, *obj;
    int64_t old_rev = 0;
    char key[1024];
    api_storage_key(rq->res, rq->namespace, rq->name, key, sizeof(key));
    int rc = api_obj_get(rq->srv->store, key, &old, &old_rev);
    if (rc != 0 && !(rc == KC_ENOTFOUND && mode == UPDATE_MAIN)) {
        api_reply_error(rep, rq, rc);
        return;
    }
    if (rc != 0)
        old = NULL;
    if (api_apply_patch(rq, rep, old, mode == UPDATE_STATUS, &obj) != 0) {
        json_decref(old);
        return;
    }
    if (!old) {
        if (prepare_create(rq, rep, obj, false) == 0)
            (void)store_create(rq, rep, obj); /* the name is the URL's: never generated, never retried */
        else
            json_decref(obj);
        return;
    }
    finish_update(rq, rep, obj, old, old_rev, mode, false);
    json_decref(old);
}

/* --- patch --- */

/* Go's name of a JSON value's type in encoding/json errors. */
static const char *
go_json_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    default:
        return "bool";
    }
}

/* upstream's NewGenericServerResponse(422, ...): the reason dropped, empty details. */
static void
reply_generic_invalid(struct api_reply *rep)
{
    json_t *st = api_status(422, "Invalid", KC_PATCH_JSON_INVALID_MESSAGE, NULL, NULL, NULL);
    json_t *code = json_incref(json_object_get(st, "code"));
    json_object_del(st, "code");
    json_object_set_new(st, "details", json_object());
    json_object_set_new(st, "code", code);
    json_decref(rep->body);
    rep->status = 422;
    rep->body = st;
}

void
api_patch_error(struct api_reply *rep, enum api_patch_kind kind, int rc, const char *err)
{
    static const char *const smp_bad_request[] = { "invalid JSON document",
                                                   "invalid patch format of primitive list",
                                                   "invalid patch format of retainKeys",
                                                   "invalid patch format of setElementOrder list",
                                                   "strategic merge patch format is not supported",
                                                   NULL };
    const char *msg = err && *err ? err : kc_strerror(rc);
    if (rc == -ENOMEM) {
        api_reply_statusf(rep, 500, "InternalError", "%s", kc_strerror(rc));
        return;
    }
    if (kind == API_PATCH_JSON) {
        if (rc == KC_EINVALID)
            reply_generic_invalid(rep);
        else if (rc == KC_EBADREQUEST)
            api_reply_statusf(rep, 400, "BadRequest", "%s", msg);
        else if (rc == KC_ETOOLARGE)
            api_reply_statusf(rep, 413, "RequestEntityTooLarge", "%s", msg);
        else
            api_reply_statusf(rep, 500, "", "%s", msg);
        return;
    }
    if (kind == API_PATCH_STRATEGIC) {
        /* interpretStrategicMergePatchError: these are 400 and 422; everything else passes through as a plain
         * error, which the handler answers 500 without a reason */
        bool bad = strncmp(msg, "json: cannot unmarshal ", 23) == 0;
        for (size_t i = 0; !bad && smp_bad_request[i]; i++)
            bad = strcmp(msg, smp_bad_request[i]) == 0;
        if (bad)
            api_reply_statusf(rep, 400, "BadRequest", "%s", msg);
        else if (strcmp(msg, "lists of lists are not supported") == 0 ||
                 strcmp(msg, "patch content doesn't match retainKeys list") == 0)
            reply_generic_invalid(rep);
        else
            api_reply_statusf(rep, 500, "", "%s", msg);
        return;
    }
    api_reply_statusf(rep, 500, "", "%s", msg); /* jsonpatch.MergePatch's errors are not Statuses either */
}

/* 422 for a patched document that is no object, as upstream's DecodeInto failure: `"" is invalid: patch: Invalid
 * value: "<the patched JSON>": couldn't get version/kind; json parse error: ...` */
static void
reply_patched_not_object(struct api_reply *rep, const json_t *doc)
{
    char *text = kc_jarena_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
    char detail[320];
    snprintf(detail, sizeof(detail),
             "couldn't get version/kind; json parse error: json: cannot unmarshal %s into Go value of type struct { "
             "APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }",
             go_json_type(doc));
    struct api_errors e = { 0 };
    api_err_invalid_str(&e, "patch", text ? text : "", detail);
    free(text);
    const char *m = json_string_value(json_object_get(json_array_get(e.causes, 0), "message"));
    struct api_sb msg = { 0 };
    api_sb_printf(&msg, " \"\" is invalid: patch: %s", m ? m : "");
    json_t *st = api_status(422, "Invalid", api_sb_str(&msg), NULL, NULL, NULL);
    json_t *code = json_incref(json_object_get(st, "code"));
    json_object_del(st, "code");
    json_object_set_new(st, "details", json_pack("{s:O}", "causes", e.causes ? e.causes : json_array()));
    json_object_set_new(st, "code", code);
    api_sb_free(&msg);
    api_errors_free(&e);
    json_decref(rep->body);
    rep->status = 422;
    rep->body = st;
}

/* Decodes a JSON, merge or strategic merge patch body as upstream's handler does before applying it, with its
 * errors: with fieldValidation Warn or Strict a JSON or merge patch is first decoded strictly into
 * []jsonPatchOp or map[string]interface{} ("error decoding patch: ..."); a merge patch that is null or (without
 * strict decoding) not an object or array is jsonpatch's ErrBadJSONPatch. Returns 0 with *out, or -1 after
 * replying 400. */
static int
decode_patch(struct api_request *rq, struct api_reply *rep, enum api_patch_kind type, json_t **out)
{
    bool strict = api_field_validation(rq) != API_FV_IGNORE && type != API_PATCH_STRATEGIC;
    const char *pfx = strict ? "error decoding patch: " : "";
    char err[512];
    json_t *patch = NULL;
    if (kc_json_parse(rq->body ? rq->body : "", rq->body_len, &patch, err, sizeof(err)) != 0) {
        /* duplicate keys are the strict check's business (a patch decodes with the last one winning) */
        json_error_t je;
        patch = json_loadb(rq->body ? rq->body : "", rq->body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        if (!patch) {
            if (type == API_PATCH_MERGE && !strict)
                api_reply_statusf(rep, 400, "BadRequest", "Invalid JSON Patch");
            else
                api_reply_statusf(rep, 400, "BadRequest", "%s%s", pfx, err);
            return -1;
        }
    }
    const char *bad = NULL, *go_type = NULL, *field = NULL;
    if (strict && type == API_PATCH_JSON) {
        if (!json_is_array(patch) && !json_is_null(patch)) {
            bad = go_json_type(patch);
            go_type = "[]handlers.jsonPatchOp";
        }
        size_t i;
        json_t *op;
        json_array_foreach(patch, i, op)
        {
            if (bad)
                break;
            if (!json_is_object(op) && !json_is_null(op)) {
                bad = go_json_type(op);
                go_type = "handlers.jsonPatchOp";
            }
            static const char *const strs[] = { "op", "path", "from" };
            for (size_t k = 0; !bad && json_is_object(op) && k < 3; k++) {
                json_t *v = json_object_get(op, strs[k]);
                if (v && !json_is_null(v) && !json_is_string(v)) {
                    bad = go_json_type(v);
                    field = strs[k];
                }
            }
        }
    } else if (strict && type == API_PATCH_MERGE && !json_is_object(patch) && !json_is_null(patch)) {
        bad = go_json_type(patch);
        go_type = "map[string]interface {}";
    }
    if (bad) {
        if (field)
            api_reply_statusf(rep, 400, "BadRequest",
                              "%sjson: cannot unmarshal %s into Go struct field jsonPatchOp.%s of type string", pfx,
                              bad, field);
        else
            api_reply_statusf(rep, 400, "BadRequest", "%sjson: cannot unmarshal %s into Go value of type %s", pfx, bad,
                              go_type);
        json_decref(patch);
        return -1;
    }
    if (type == API_PATCH_MERGE && !json_is_object(patch) && !json_is_array(patch)) {
        api_reply_statusf(rep, 400, "BadRequest", "Invalid JSON Patch");
        json_decref(patch);
        return -1;
    }
    *out = patch;
    return 0;
}

static void
do_patch(struct api_request *rq, struct api_reply *rep, enum update_mode mode)
{
    const char *ct = rq->content_type ? rq->content_type : "";
    enum api_patch_kind type;
    if (strncmp(ct, "application/merge-patch+json", 28) == 0)
        type = API_PATCH_MERGE;
    else if (strncmp(ct, "application/json-patch+json", 27) == 0)
        type = API_PATCH_JSON;
    else if (strncmp(ct, "application/strategic-merge-patch+json", 38) == 0)
        type = API_PATCH_STRATEGIC;
    else if (strncmp(ct, "application/apply-patch+yaml", 28) == 0) {
        do_apply(rq, rep, mode);
        return;
    } else {
        api_reply_statusf(rep, 415, "UnsupportedMediaType",
                          "the body of the request was in an unknown format - accepted media types include: "
                          "application/json-patch+json, application/merge-patch+json, "
                          "application/strategic-merge-patch+json");
        return;
    }
    if (api_check_options(rq, rep, "PatchOptions", false) != 0)
        return;
    json_t *patch, *old;
    char err[512] = "";
    int64_t old_rev;
    char key[1024];
    /* upstream reads the object first (a missing one is 404 whatever the patch), then decodes the patch */
    api_storage_key(rq->res, rq->namespace, rq->name, key, sizeof(key));
    int rc = api_obj_get(rq->srv->store, key, &old, &old_rev);
    if (rc != 0) {
        api_reply_error(rep, rq, rc);
        return;
    }
    if (decode_patch(rq, rep, type, &patch) != 0) {
        json_decref(old);
        return;
    }
    json_t *doc = json_deep_copy(old);
    /* A resourceVersion in the patch is a precondition (409 on mismatch); none means "the current one". */
    switch (type) {
    case API_PATCH_MERGE:
        rc = kc_patch_merge(&doc, patch);
        break;
    case API_PATCH_JSON:
        rc = kc_patch_json(&doc, patch, err, sizeof(err));
        break;
    case API_PATCH_STRATEGIC:
        rc = kc_patch_strategic(&doc, patch, kc_schema_find(rq->res->schema), err, sizeof(err));
        break;
    }
    if (rc != 0) {
        json_decref(patch);
        json_decref(doc);
        json_decref(old);
        api_patch_error(rep, type, rc, err);
        return;
    }
    if (!json_is_object(doc)) {
        json_decref(patch);
        reply_patched_not_object(rep, doc);
        json_decref(doc);
        json_decref(old);
        return;
    }
    /* field validation of the body and of the result; unknown fields never reach the store */
    rc = api_strict_patch_result(rq, rep, api_strict_patch_scan(rq, type), doc, patch, type);
    json_decref(patch);
    if (rc != 0) {
        json_decref(doc);
        json_decref(old);
        return;
    }
    const char *prv = kc_json_get_string(doc, "metadata.resourceVersion");
    if (!prv || strtoll(prv, NULL, 10) == old_rev) {
        kc_json_del(doc, "metadata.resourceVersion");
        kc_json_set(doc, "metadata.resourceVersion", json_sprintf("%" PRId64, old_rev));
    }
    finish_update(rq, rep, doc, old, old_rev, mode, true);
    json_decref(old);
}

/* --- delete --- */

void
api_delete_opts_close(struct api_delete_opts *o)
{
    json_decref(o->body);
    o->body = NULL;
}

/* ValidateDeleteOptions. Returns 0, or -1 after replying 422. */
static int
validate_delete_opts(struct api_reply *rep, const struct api_delete_opts *o, const char *dry_run_text)
{
    struct api_errors errs = { 0 };
    if (o->orphan >= 0 && o->propagation) {
        struct api_sb v = { 0 };
        api_go_quote(&v, o->propagation);
        api_err_invalid_raw(&errs, "propagationPolicy", api_sb_str(&v),
                            "orphanDependents and deletionPropagation cannot be both set");
        api_sb_free(&v);
    }
    if (o->propagation && strcmp(o->propagation, "Foreground") != 0 && strcmp(o->propagation, "Background") != 0 &&
        strcmp(o->propagation, "Orphan") != 0) {
        static const char *const valid[] = { "Foreground", "Background", "Orphan", "nil", NULL };
        api_err_not_supported(&errs, "propagationPolicy", o->propagation, valid);
    }
    if (dry_run_text) {
        static const char *const valid[] = { "All", NULL };
        api_err_not_supported_raw(&errs, "dryRun", dry_run_text, valid);
    }
    if (errs.n) {
        api_reply_options_invalid(rep, "DeleteOptions", &errs);
        return -1;
    }
    return 0;
}

static void reply_unknown(struct api_reply *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 500 with no reason: what upstream answers for an error that is not a Status (a decoder's). */
static void
reply_unknown(struct api_reply *rep, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_decref(rep->body);
    rep->status = 500;
    rep->body = api_status(500, NULL, msg, NULL, NULL, NULL);
}

int
api_delete_opts_from_json(const json_t *v, struct api_reply *rep, struct api_delete_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->orphan = -1;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v)) {
        reply_unknown(rep, "json: cannot unmarshal %s into Go value of type %s", go_json_type(v), "v1.DeleteOptions");
        return -1;
    }
    /* the members with the wrong JSON type fail the decode, as Go's decoder does */
    static const struct {
        const char *name;
        json_type type;
        const char *go;
    } members[] = { { "gracePeriodSeconds", JSON_INTEGER, "int64" },
                    { "propagationPolicy", JSON_STRING, "v1.DeletionPropagation" },
                    { "orphanDependents", JSON_TRUE, "bool" },
                    { "preconditions", JSON_OBJECT, "v1.Preconditions" },
                    { "dryRun", JSON_ARRAY, "[]string" } };
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        json_t *m = json_object_get(v, members[i].name);
        if (!m || json_is_null(m))
            continue;
        bool ok = members[i].type == JSON_TRUE ? json_is_boolean(m) : json_typeof(m) == members[i].type;
        if (!ok) {
            char field[96];
            snprintf(field, sizeof(field), "%s of type %s", members[i].name, members[i].go);
            reply_unknown(rep, "json: cannot unmarshal %s into Go struct field DeleteOptions.%s", go_json_type(m),
                          field);
            return -1;
        }
    }
    json_t *g = json_object_get(v, "gracePeriodSeconds");
    if (json_is_integer(g)) {
        o->grace_set = true;
        o->grace = json_integer_value(g);
    }
    o->propagation = json_string_value(json_object_get(v, "propagationPolicy"));
    json_t *orphan = json_object_get(v, "orphanDependents");
    if (json_is_boolean(orphan))
        o->orphan = json_is_true(orphan);
    json_t *pre = json_object_get(v, "preconditions");
    for (int i = 0; i < 2 && json_is_object(pre); i++) {
        json_t *s = json_object_get(pre, i ? "resourceVersion" : "uid");
        if (s && !json_is_null(s) && !json_is_string(s)) {
            reply_unknown(rep, "json: cannot unmarshal %s into Go struct field Preconditions.preconditions.%s",
                          go_json_type(s), i ? "resourceVersion of type string" : "uid of type types.UID");
            return -1;
        }
    }
    o->pre_uid = json_string_value(kc_json_get(v, "preconditions.uid"));
    o->pre_rv = json_string_value(kc_json_get(v, "preconditions.resourceVersion"));
    json_t *dry = json_object_get(v, "dryRun");
    size_t i;
    json_t *d;
    bool bad = false;
    json_array_foreach(dry, i, d)
    {
        if (!json_is_string(d)) {
            reply_unknown(rep, "json: cannot unmarshal %s into Go struct field DeleteOptions.%s", go_json_type(d),
                          "dryRun of type string");
            return -1;
        }
        if (strcmp(json_string_value(d), "All") != 0)
            bad = true;
    }
    o->dry_run = json_array_size(dry) > 0 && !bad;
    char *dry_text = NULL;
    if (bad) {
        struct api_sb sb = { 0 };
        api_go_string_slice(&sb, dry);
        dry_text = strdup(api_sb_str(&sb));
        api_sb_free(&sb);
    }
    int rc = validate_delete_opts(rep, o, bad ? (dry_text ? dry_text : "[]string{}") : NULL);
    free(dry_text);
    return rc;
}

int
api_delete_opts_parse(struct api_request *rq, struct api_reply *rep, struct api_delete_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->orphan = -1;
    if (rq->body && rq->body_len) {
        /* the body's DeleteOptions (JSON or YAML); the query's are then not read */
        const char *ct = rq->content_type ? rq->content_type : "";
        json_t *v = NULL;
        if (kc_k8sproto_is_media_type(ct)) { /* client-go's typed clients may send it as protobuf */
            char err[256];
            int rc = kc_k8sproto_decode(rq->body, rq->body_len, "v1", "DeleteOptions", &v, err, sizeof(err));
            if (rc != 0) {
                if (rc == -ENOMEM)
                    api_reply_error(rep, rq, rc);
                else
                    reply_unknown(rep, "%s", err);
                return -1;
            }
        } else if (strcspn(ct, "; \t") == 16 && strncasecmp(ct, "application/yaml", 16) == 0) {
            struct kc_yaml_error ye = { 0 };
            if (kc_yaml_load_one(rq->body, rq->body_len, &v, &ye) != 0) {
                reply_unknown(rep, "error converting YAML to JSON: %s", ye.message);
                return -1;
            }
        } else {
            char err[256];
            json_error_t je;
            if (kc_json_parse(rq->body, rq->body_len, &v, err, sizeof(err)) != 0 &&
                !(v = json_loadb(rq->body, rq->body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je))) {
                reply_unknown(rep, "couldn't get version/kind; json parse error: %s", err);
                return -1;
            }
        }
        int rc = api_delete_opts_from_json(v, rep, o);
        o->body = v;
        return rc;
    }
    if (rq->grace_period) {
        char *end;
        errno = 0;
        long long g = strtoll(rq->grace_period, &end, 10);
        if (!*rq->grace_period || *end || errno) {
            api_reply_statusf(rep, 400, "BadRequest", "strconv.ParseInt: parsing \"%s\": %s", rq->grace_period,
                              errno == ERANGE ? "value out of range" : "invalid syntax");
            return -1;
        }
        o->grace_set = true;
        o->grace = g;
    }
    o->propagation = rq->propagation_policy;
    o->dry_run = rq->dry_run && strcmp(rq->dry_run, "All") == 0;
    struct api_sb sb = { 0 };
    if (rq->dry_run && !o->dry_run) {
        api_sb_puts(&sb, "[]string{");
        api_go_quote(&sb, rq->dry_run);
        api_sb_puts(&sb, "}");
    }
    int rc = validate_delete_opts(rep, o, rq->dry_run && !o->dry_run ? api_sb_str(&sb) : NULL);
    api_sb_free(&sb);
    return rc;
}

json_t *
api_delete_result(const struct api_resource *r, const json_t *obj)
{
    if (r->delete_returns_object)
        return json_deep_copy(obj);
    json_t *d = json_object();
    const char *name = kc_json_get_string(obj, "metadata.name");
    const char *uid = kc_json_get_string(obj, "metadata.uid");
    if (!d || (name && *name && json_object_set_new(d, "name", json_string(name)) != 0) ||
        (r->group[0] && json_object_set_new(d, "group", json_string(r->group)) != 0) ||
        json_object_set_new(d, "kind", json_string(r->plural)) != 0 ||
        (uid && *uid && json_object_set_new(d, "uid", json_string(uid)) != 0)) {
        json_decref(d);
        return NULL;
    }
    return json_pack("{s:s,s:s,s:{},s:s,s:o}", "kind", "Status", "apiVersion", "v1", "metadata", "status", "Success",
                     "details", d);
}

/* The outcome of one object's delete. */
struct delete_outcome {
    json_t *answer; /* what the DELETE answers (api_delete_result, or the object that stays); new reference */
    bool deleted;   /* removed from the store (false: it stays, being deleted) */
};

/* 409 for a precondition the object does not meet, as upstream's BeforeDelete words it (the resource named by
 * its kind, "Pod" or "Deployment.apps"). */
static void
reply_precondition(struct api_reply *rep, const struct api_resource *r, const char *name, const char *what,
                   const char *want, const char *have, const char *tail)
{
    char res[160], msg[1024];
    snprintf(res, sizeof(res), "%s%s%s", r->kind, r->group[0] ? "." : "", r->group);
    snprintf(msg, sizeof(msg),
             "Operation cannot be fulfilled on %s \"%s\": the %s in the precondition (%s) does not match the %s in "
             "record (%s). %s",
             res, name, what, want, what, have, tail);
    json_decref(rep->body);
    rep->status = 409;
    rep->body = api_status(409, "Conflict", msg, name, r->group, r->kind);
}

/* 409 for a namespace's precondition, as the namespace registry words it. */
static void
reply_ns_precondition(struct api_reply *rep, const char *name, const char *what, const char *want, const char *have)
{
    char msg[1024];
    snprintf(msg, sizeof(msg),
             "Operation cannot be fulfilled on namespaces \"%s\": Precondition failed: %s in precondition: %s, %s in "
             "object meta: %s",
             name, what, want, what, have);
    json_decref(rep->body);
    rep->status = 409;
    rep->body = api_status(409, "Conflict", msg, name, NULL, "namespaces");
}

/* Writes obj over key (expected revision *rev) unless dry-run; *rev gets the new revision. An object equal to
 * the stored one is not written (upstream's GuaranteedUpdate skips no-op updates). */
static int
delete_write(struct api_request *rq, const struct api_delete_opts *o, const char *key, json_t *obj,
             const json_t *stored, int64_t *rev)
{
    if (json_equal(obj, stored))
        return 0;
    int64_t nrev = *rev;
    kc_json_del(obj, "metadata.resourceVersion");
    int rc = o->dry_run ? 0 : api_obj_update(rq->srv->store, key, obj, *rev, &nrev);
    if (rc == 0)
        *rev = nrev;
    kc_json_set(obj, "metadata.resourceVersion", json_sprintf("%" PRId64, *rev));
    return rc;
}

static void
set_deletion(json_t *obj, struct kc_time t, int64_t grace)
{
    char ts[KC_TIME_BUF];
    kc_time_format(t, ts);
    kc_json_set(obj, "metadata.deletionTimestamp", json_string(ts));
    kc_json_set(obj, "metadata.deletionGracePeriodSeconds", json_integer(grace));
}

static void
bump_generation(json_t *obj)
{
    json_int_t g = json_integer_value(kc_json_get(obj, "metadata.generation"));
    if (g > 0)
        kc_json_set(obj, "metadata.generation", json_integer(g + 1));
}

#define REPLIED 1 /* delete_attempt's "answered already" (error codes are negative) */

/* One attempt at deleting the object at key, as upstream's registry (generic Store.Delete with BeforeDelete, the
 * pod strategy's graceful deletion, the namespace registry's Terminating phase). 0 with *out filled; KC_ECONFLICT
 * when the object changed under us (the caller retries); REPLIED after replying; another error code. */
static int
delete_attempt(struct api_request *rq, struct api_reply *rep, const char *key, const struct api_delete_opts *o,
               struct delete_outcome *out)
{
    const struct api_resource *r = rq->res;
    json_t *obj, *stored;
    int64_t rev;
    int rc = api_obj_get(rq->srv->store, key, &stored, &rev);
    if (rc != 0)
        return rc;
    obj = json_deep_copy(stored);
    if (!obj) {
        json_decref(stored);
        return -ENOMEM;
    }
    const char *name = kc_json_get_string(obj, "metadata.name") ?: "";
    const char *uid = kc_json_get_string(obj, "metadata.uid") ?: "";
    const char *orv = kc_json_get_string(obj, "metadata.resourceVersion") ?: "";
    bool is_pod = strcmp(r->kind, "Pod") == 0 && !r->group[0];
    bool is_ns = strcmp(r->kind, "Namespace") == 0 && !r->group[0];
    bool deleting = kc_json_get(obj, "metadata.deletionTimestamp") != NULL;
    out->deleted = false;
    out->answer = NULL;

    if (is_ns) {
        /* the namespace registry: its own preconditions; a first delete only marks it Terminating (the namespace
         * controller empties it and finalizes), later ones wait for spec.finalizers to empty, then the generic
         * delete below runs */
        if (o->pre_uid && strcmp(o->pre_uid, uid) != 0) {
            reply_ns_precondition(rep, name, "UID", o->pre_uid, uid);
            rc = REPLIED;
        } else if (o->pre_rv && strcmp(o->pre_rv, orv) != 0) {
            reply_ns_precondition(rep, name, "ResourceVersion", o->pre_rv, orv);
            rc = REPLIED;
        } else if (!deleting) {
            char ts[KC_TIME_BUF];
            kc_time_format(kc_time_now(), ts);
            kc_json_set(obj, "metadata.deletionTimestamp", json_string(ts));
            kc_json_set(obj, "status.phase", json_string("Terminating"));
            rc = delete_write(rq, o, key, obj, stored, &rev);
        }
        if (rc != 0 || !deleting || json_array_size(kc_json_get(obj, "spec.finalizers")) > 0) {
            if (rc == 0)
                out->answer = json_incref(obj);
            json_decref(obj);
            json_decref(stored);
            return rc;
        }
    } else if (o->pre_uid && strcmp(o->pre_uid, uid) != 0) { /* BeforeDelete: preconditions first */
        reply_precondition(rep, r, name, "UID", o->pre_uid, uid,
                           "The object might have been deleted and then recreated");
        rc = REPLIED;
    } else if (o->pre_rv && strcmp(o->pre_rv, orv) != 0) {
        reply_precondition(rep, r, name, "ResourceVersion", o->pre_rv, orv, "The object might have been modified");
        rc = REPLIED;
    }
    if (rc != 0) {
        json_decref(obj);
        json_decref(stored);
        return rc;
    }
    bool grace_set = o->grace_set;
    int64_t grace = o->grace < 0 ? 1 : o->grace; /* negative values are 1s on the delete path */
    json_t *dgs = kc_json_get(obj, "metadata.deletionGracePeriodSeconds");
    if (json_is_integer(dgs) && json_integer_value(dgs) < 0)
        kc_json_set(obj, "metadata.deletionGracePeriodSeconds", json_integer(1));
    bool graceful = false, pending = false;
    int64_t period = 0;
    if (is_pod) { /* the only kind of ours with a graceful delete strategy */
        if (deleting) {
            /* already being deleted: only a shorter grace period changes anything */
            json_int_t cur = json_integer_value(kc_json_get(obj, "metadata.deletionGracePeriodSeconds"));
            if (!kc_json_get(obj, "metadata.deletionGracePeriodSeconds") || cur <= 0) {
                graceful = false;
            } else if (grace_set && grace < cur) {
                struct kc_time t;
                if (kc_time_parse(kc_json_get_string(obj, "metadata.deletionTimestamp"), &t) != 0)
                    t = kc_time_now();
                t.sec += grace - cur;
                set_deletion(obj, t, grace);
                graceful = true;
                period = grace;
            } else {
                pending = true;
            }
        } else {
            /* the pod strategy's CheckGracefulDelete */
            json_t *tg = kc_json_get(obj, "spec.terminationGracePeriodSeconds");
            period = grace_set ? grace : json_is_integer(tg) ? json_integer_value(tg) : 0;
            const char *node = kc_json_get_string(obj, "spec.nodeName");
            const char *phase = kc_json_get_string(obj, "status.phase");
            if (!node || !*node)
                period = 0; /* never scheduled: nothing to stop */
            if (phase && (strcmp(phase, "Failed") == 0 || strcmp(phase, "Succeeded") == 0))
                period = 0; /* terminated already */
            if (period < 0)
                period = 1;
            struct kc_time t = kc_time_now();
            t.sec += period;
            set_deletion(obj, t, period);
            bump_generation(obj);
            graceful = true;
        }
    }
    if (pending) { /* upstream's errAlreadyDeleting: nothing changes, the object answers as deleted would */
        out->answer = api_delete_result(r, obj);
        json_decref(obj);
        json_decref(stored);
        return out->answer ? 0 : -ENOMEM;
    }
    bool finalizers = json_array_size(kc_json_get(obj, "metadata.finalizers")) > 0;
    if (graceful || finalizers) {
        if (!graceful) {
            /* markAsDeleting: deletion requested now (an earlier request's time is kept), no grace */
            char now[KC_TIME_BUF];
            kc_time_format(kc_time_now(), now);
            const char *cur = kc_json_get_string(obj, "metadata.deletionTimestamp");
            if (!cur) {
                bump_generation(obj);
                kc_json_set(obj, "metadata.deletionTimestamp", json_string(now));
            } else if (strcmp(cur, now) > 0) {
                kc_json_set(obj, "metadata.deletionTimestamp", json_string(now));
            }
            kc_json_set(obj, "metadata.deletionGracePeriodSeconds", json_integer(0));
        }
        rc = delete_write(rq, o, key, obj, stored, &rev);
        if (rc != 0 || finalizers || (graceful && period > 0)) {
            if (rc == 0)
                out->answer = json_incref(obj); /* it stays: the object itself, with its deletionTimestamp */
            json_decref(obj);
            json_decref(stored);
            return rc;
        }
        /* a zero grace period: the deletion is recorded, then the object goes */
    }
    int64_t drev;
    rc = o->dry_run ? 0 : api_obj_delete(rq->srv->store, key, rev, &drev);
    if (rc == 0) {
        out->answer = api_delete_result(r, obj);
        out->deleted = true;
        if (!out->answer)
            rc = -ENOMEM;
    }
    json_decref(obj);
    json_decref(stored);
    return rc;
}

/* Deletes one object, retrying when it changed between our read and our write (as GuaranteedUpdate retries).
 * Returns 0 with *out filled, or -1 after replying. */
static int
delete_one(struct api_request *rq, struct api_reply *rep, const char *key, const struct api_delete_opts *o,
           struct delete_outcome *out)
{
    int rc = KC_ECONFLICT;
    for (int attempt = 0; attempt < 16 && rc == KC_ECONFLICT; attempt++)
        rc = delete_attempt(rq, rep, key, o, out);
    if (rc < 0)
        api_reply_error(rep, rq, rc);
    return rc == 0 ? 0 : -1;
}

static void
do_delete(struct api_request *rq, struct api_reply *rep)
{
    struct api_delete_opts o;
    if (api_delete_opts_parse(rq, rep, &o) != 0) {
        api_delete_opts_close(&o);
        return;
    }
    char key[1024];
    struct delete_outcome out;
    api_storage_key(rq->res, rq->namespace, rq->name, key, sizeof(key));
    int rc = delete_one(rq, rep, key, &o, &out);
    int orphan = o.orphan;
    api_delete_opts_close(&o);
    if (rc != 0)
        return;
    /* 202 only when the object stays and the (deprecated) orphanDependents=false asked for a cascade */
    int status = !out.deleted && orphan == 0 ? 202 : 200;
    const char *akind = json_string_value(json_object_get(out.answer, "kind"));
    if (akind && strcmp(akind, "Status") == 0) { /* no Table of a Status */
        rep->status = status;
        rep->body = out.answer;
        return;
    }
    reply_object(rq, rep, status, out.answer);
}

/* DELETE on a collection, as upstream's Store.DeleteCollection with one worker: the matching objects are listed,
 * then deleted one by one with the same options; the first failure (but NotFound) stops it and is the answer;
 * otherwise the answer is the list as it was read. */
static void
do_deletecollection(struct api_request *rq, struct api_reply *rep)
{
    struct api_delete_opts o;
    struct kc_label_selector *ls;
    struct kc_field_selector *fs;
    if (api_delete_opts_parse(rq, rep, &o) != 0) {
        api_delete_opts_close(&o);
        return;
    }
    if (api_parse_selectors(rq, rep, &ls, &fs) != 0) {
        api_delete_opts_close(&o);
        return;
    }
    long long limit = rq->limit ? strtoll(rq->limit, NULL, 10) : 0;
    char prefix[1024];
    json_t *items, *listed = json_array();
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
            if (limit > 0 && (long long)json_array_size(listed) >= limit)
                break;
            json_array_append(listed, it);
        }
        json_decref(items);
    }
    kc_label_selector_free(ls);
    kc_field_selector_free(fs);
    if (rc != 0) {
        api_delete_opts_close(&o);
        json_decref(listed);
        api_reply_error(rep, rq, rc);
        return;
    }
    size_t i;
    json_t *it;
    json_array_foreach(listed, i, it)
    {
        char key[1024];
        struct delete_outcome out;
        struct api_reply err = { 0 };
        snprintf(rq->name, sizeof(rq->name), "%s", obj_name(it));
        api_storage_key(rq->res, kc_json_get_string(it, "metadata.namespace"), obj_name(it), key, sizeof(key));
        if (delete_one(rq, &err, key, &o, &out) == 0) {
            json_decref(out.answer);
            continue;
        }
        if (err.status == 404) { /* gone meanwhile */
            json_decref(err.body);
            continue;
        }
        rq->name[0] = '\0';
        rep->status = err.status;
        rep->body = err.body;
        api_delete_opts_close(&o);
        json_decref(listed);
        return;
    }
    rq->name[0] = '\0';
    api_delete_opts_close(&o);
    strip_type(listed);
    char av[128], kind[160];
    api_resource_api_version(rq->res, av, sizeof(av));
    snprintf(kind, sizeof(kind), "%sList", rq->res->kind);
    rep->status = 200;
    rep->body = json_pack("{s:s,s:s,s:{s:o},s:o}", "kind", kind, "apiVersion", av, "metadata", "resourceVersion",
                          json_sprintf("%" PRId64, rev), "items", listed);
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
    api_managed_update(rq, obj, NULL, next, NULL); /* an Update entry with subresource "scale": spec.replicas */
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

/* --- pods/eviction (policy/v1 Eviction; no PodDisruptionBudgets are served, so every eviction deletes) --- */

/* The rest of `%s in version "%s" cannot be handled as a Eviction: <why>` for a body of another kind: a kind we
 * serve fails to convert, another one is unknown to the scheme. */
static void
eviction_wrong_kind(struct api_reply *rep, const char *api_version, const char *kind)
{
    const char *slash = strchr(api_version, '/');
    const char *version = slash ? slash + 1 : api_version;
    char group[128];
    snprintf(group, sizeof(group), "%.*s", slash ? (int)(slash - api_version) : 0, api_version);
    const struct api_resource *r = api_resource_by_kind(group, kind);
    if (r && strcmp(r->version, version) == 0)
        api_reply_statusf(rep, 400, "BadRequest",
                          "%s in version \"%s\" cannot be handled as a Eviction: converting (%s.%s) to "
                          "(policy.Eviction): unknown conversion",
                          kind, version, version, kind);
    else
        api_reply_statusf(rep, 400, "BadRequest",
                          "%s in version \"%s\" cannot be handled as a Eviction: no kind \"%s\" is registered for "
                          "version \"%s\" in scheme \"pkg/api/legacyscheme/scheme.go:30\"",
                          kind, version, kind, api_version);
}

int
api_eviction_check(struct api_request *rq, struct api_reply *rep, json_t *ev, struct api_delete_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->orphan = -1;
    /* the create handler: decoded as policy/v1 Eviction (the missing parts of the type defaulted from it) */
    const char *kind = json_string_value(json_object_get(ev, "kind"));
    const char *av = json_string_value(json_object_get(ev, "apiVersion"));
    if (!av || !*av)
        av = "policy/v1";
    if (!kind || !*kind)
        kind = "Eviction";
    if (strcmp(kind, "Eviction") != 0 || (strcmp(av, "policy/v1") != 0 && strcmp(av, "policy/v1beta1") != 0)) {
        eviction_wrong_kind(rep, av, kind);
        return -1;
    }
    const char *ns = kc_json_get_string(ev, "metadata.namespace");
    if (ns && *ns && strcmp(ns, rq->namespace) != 0) {
        api_reply_statusf(rep, 400, "BadRequest",
                          "the namespace of the provided object does not match the namespace sent on the request");
        return -1;
    }
    /* EvictionREST.Create */
    const char *name = kc_json_get_string(ev, "metadata.name");
    if (!name || strcmp(name, rq->name) != 0) {
        api_reply_statusf(rep, 400, "BadRequest", "name in URL does not match name in Eviction object");
        return -1;
    }
    json_t *dopts = json_object_get(ev, "deleteOptions");
    int invalid = api_delete_opts_from_json(dopts, rep, o);
    if (invalid != 0 && rep->status == 500) { /* a decoding error: the create handler's 400 */
        static const char field[] = "Go struct field DeleteOptions.";
        const char *m = json_string_value(json_object_get(rep->body, "message")) ?: "";
        const char *f = strstr(m, field);
        char msg[700];
        if (f)
            snprintf(msg, sizeof(msg), "%.*sGo struct field Eviction.deleteOptions.%s", (int)(f - m), m,
                     f + sizeof(field) - 1);
        else
            snprintf(msg, sizeof(msg), "%s", m);
        api_reply_statusf(rep, 400, "BadRequest", "Eviction in version \"%s\" cannot be handled as a Eviction: %s",
                          strchr(av, '/') + 1, msg);
        return -1;
    }
    /* propagateDryRun: the request's dryRun (validated: All) applies when the content has none */
    json_t *ddry = json_is_object(dopts) ? json_object_get(dopts, "dryRun") : NULL;
    if (rq->dry_run && json_array_size(ddry) > 0 &&
        !(json_array_size(ddry) == 1 && strcmp(json_string_value(json_array_get(ddry, 0)), "All") == 0)) {
        struct api_sb v = { 0 };
        size_t i;
        json_t *d;
        json_array_foreach(ddry, i, d) api_sb_printf(&v, "%s%s", i ? " " : "", json_string_value(d));
        char msg[600];
        snprintf(msg, sizeof(msg), "Non-matching dry-run options in request and content: [%s] and [%s]", rq->dry_run,
                 api_sb_str(&v));
        api_sb_free(&v);
        json_decref(rep->body);
        rep->status = 500;
        rep->body = api_status(500, NULL, msg, NULL, NULL, NULL);
        return -1;
    }
    if (invalid != 0) /* ValidateDeleteOptions runs in the delete, after propagateDryRun */
        return -1;
    if (rq->dry_run)
        o->dry_run = true;
    return 0;
}

/* The Eviction body: JSON, YAML or protobuf (whose envelope defaults to policy/v1 Eviction). */
static int
eviction_body(struct api_request *rq, struct api_reply *rep, json_t **ev)
{
    if (!kc_k8sproto_is_media_type(rq->content_type ? rq->content_type : ""))
        return api_parse_body(rq, rep, ev);
    char err[256];
    int rc = kc_k8sproto_decode(rq->body ? rq->body : "", rq->body_len, "policy/v1", "Eviction", ev, err, sizeof(err));
    if (rc == KC_EPARSE || rc == KC_EUNSUPPORTED)
        api_reply_statusf(rep, 400, "BadRequest", "the request body is not a valid protobuf object: %s", err);
    else if (rc != 0)
        api_reply_error(rep, rq, rc);
    return rc == 0 ? 0 : -1;
}

/* Adds the DisruptionTarget condition the eviction API sets before it deletes (podutil.UpdatePodCondition: the
 * transition time stays when the status does not change). */
static void
add_disruption_condition(json_t *pod)
{
    char now[KC_TIME_BUF];
    kc_time_format(kc_time_now(), now);
    json_t *conds = kc_json_get(pod, "status.conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        kc_json_set(pod, "status.conditions", conds);
    }
    json_t *c =
        json_pack("{s:s,s:s,s:n,s:s,s:s,s:s}", "type", "DisruptionTarget", "status", "True", "lastProbeTime",
                  "lastTransitionTime", now, "reason", "EvictionByEvictionAPI", "message", "Eviction API: evicting");
    size_t i;
    json_t *old;
    json_array_foreach(conds, i, old)
    {
        const char *t = json_string_value(json_object_get(old, "type"));
        if (t && strcmp(t, "DisruptionTarget") == 0) {
            const char *st = json_string_value(json_object_get(old, "status"));
            json_t *lt = json_object_get(old, "lastTransitionTime");
            if (st && strcmp(st, "True") == 0 && lt)
                json_object_set(c, "lastTransitionTime", lt);
            json_array_set_new(conds, i, c);
            return;
        }
    }
    json_array_append_new(conds, c);
}

/* POST pods/<name>/eviction, as upstream's EvictionREST with no PodDisruptionBudget: the pod gets the
 * DisruptionTarget condition, then it is deleted with the Eviction's deleteOptions; 201 and a Success Status. */
static void
do_eviction(struct api_request *rq, struct api_reply *rep)
{
    json_t *ev;
    struct api_delete_opts o;
    if (api_check_options(rq, rep, "CreateOptions", false) != 0 || eviction_body(rq, rep, &ev) != 0)
        return;
    int rc = api_eviction_check(rq, rep, ev, &o);
    if (rc != 0) {
        api_delete_opts_close(&o);
        json_decref(ev);
        return;
    }
    char key[1024], rvbuf[32];
    api_storage_key(rq->res, rq->namespace, rq->name, key, sizeof(key));
    const char *user_rv = o.pre_rv;
    bool done = false;
    for (int attempt = 0; attempt < 20 && !done; attempt++) {
        json_t *pod;
        int64_t rev;
        if ((rc = api_obj_get(rq->srv->store, key, &pod, &rev)) != 0) {
            api_reply_error(rep, rq, rc);
            break;
        }
        const char *phase = kc_json_get_string(pod, "status.phase") ?: "";
        bool terminal = strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0 ||
                        kc_json_get(pod, "metadata.deletionTimestamp") != NULL;
        struct api_delete_opts d = o;
        if (!user_rv && !terminal) { /* not racing another disruption: the pod as read here is the one deleted */
            snprintf(rvbuf, sizeof(rvbuf), "%" PRId64, rev);
            d.pre_rv = rvbuf;
        }
        struct api_reply r = { 0 };
        if (!o.dry_run) {
            /* the preconditions hold for the pod as it is now, then the condition is written */
            const char *uid = kc_json_get_string(pod, "metadata.uid") ?: "";
            const char *prv = kc_json_get_string(pod, "metadata.resourceVersion") ?: "";
            if (o.pre_uid && *o.pre_uid && strcmp(o.pre_uid, uid) != 0) {
                reply_precondition(&r, rq->res, rq->name, "UID", o.pre_uid, uid,
                                   "The object might have been deleted and then recreated");
            } else if (user_rv && *user_rv && strcmp(user_rv, prv) != 0) {
                reply_precondition(&r, rq->res, rq->name, "ResourceVersion", user_rv, prv,
                                   "The object might have been modified");
            } else {
                add_disruption_condition(pod);
                kc_json_del(pod, "metadata.resourceVersion");
                int64_t nrev;
                rc = api_obj_update(rq->srv->store, key, pod, rev, &nrev);
                if (rc == 0 && d.pre_rv) { /* our own write moves the resourceVersion the delete expects */
                    snprintf(rvbuf, sizeof(rvbuf), "%" PRId64, nrev);
                    d.pre_rv = rvbuf;
                } else if (rc != 0) {
                    api_reply_error(&r, rq, rc);
                }
            }
        }
        json_decref(pod);
        struct delete_outcome out = { 0 };
        if (!r.body && delete_one(rq, &r, key, &d, &out) == 0) {
            json_decref(out.answer);
            done = true;
            break;
        }
        if (r.status == 409 && !user_rv && attempt + 1 < 20) { /* conflicts are retried unless the caller pinned one */
            json_decref(r.body);
            continue;
        }
        rep->status = r.status;
        rep->body = r.body;
        break;
    }
    api_delete_opts_close(&o);
    json_decref(ev);
    if (!done)
        return;
    rep->status = 201;
    rep->body = json_pack("{s:s,s:s,s:{},s:s,s:i}", "kind", "Status", "apiVersion", "v1", "metadata", "status",
                          "Success", "code", 201);
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
        if (!bit && strcmp(r->kind, "ServiceAccount") == 0 && !r->group[0] && strcmp(sub, "token") == 0) {
            api_satoken_request(rq, rep); /* TokenRequest (kubectl create token): satoken.c */
            return;
        }
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
        if (bit == API_SUB_EVICTION) {
            if (strcmp(verb, "create") == 0)
                do_eviction(rq, rep);
            else
                api_reply_statusf(rep, 405, "MethodNotAllowed",
                                  "the server does not allow this method on the requested resource");
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
        api_list(rq, rep);
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
