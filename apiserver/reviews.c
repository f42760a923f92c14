/* reviews.c - the create-only review kinds: SelfSubjectAccessReview and SelfSubjectRulesReview
 * (authorization.k8s.io/v1), answered from the authorizer (authz.c), and SelfSubjectReview
 * (authentication.k8s.io/v1), answered from the authenticated user. Nothing is stored; each POST is answered 201
 * with the review and its status, as kube-apiserver's registry/authorization and registry/authentication do. */
#include "api_authz.h"
#include "kc_jarena.h"
#include "kc_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct api_resource api_review_resources[] = {
    {
        .group = "authorization.k8s.io",
        .version = "v1",
        .kind = "SelfSubjectAccessReview",
        .plural = "selfsubjectaccessreviews",
        .singular = "selfsubjectaccessreview",
        .namespaced = false,
        .verbs = API_VERB_CREATE,
        .schema = "io.k8s.api.authorization.v1.SelfSubjectAccessReview",
    },
    {
        .group = "authorization.k8s.io",
        .version = "v1",
        .kind = "SelfSubjectRulesReview",
        .plural = "selfsubjectrulesreviews",
        .singular = "selfsubjectrulesreview",
        .namespaced = false,
        .verbs = API_VERB_CREATE,
        .schema = "io.k8s.api.authorization.v1.SelfSubjectRulesReview",
    },
    {
        .group = "authentication.k8s.io",
        .version = "v1",
        .kind = "SelfSubjectReview",
        .plural = "selfsubjectreviews",
        .singular = "selfsubjectreview",
        .namespaced = false,
        .verbs = API_VERB_CREATE,
        .schema = "io.k8s.api.authentication.v1.SelfSubjectReview",
    },
    { .kind = NULL },
};

const struct api_resource *
api_review_find(const char *group, const char *version, const char *plural)
{
    for (const struct api_resource *r = api_review_resources; r->kind; r++)
        if (strcmp(r->group, group) == 0 && strcmp(r->version, version) == 0 && strcmp(r->plural, plural) == 0)
            return r;
    return NULL;
}

/* json_object_set_new / json_array_append_new that count failures in *bad (both take v's reference even when
 * failing): a review with a member left out must not go out. */
static void
oset(int *bad, json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new(o, key, v) != 0)
        (*bad)++;
}

static void
aadd(int *bad, json_t *a, json_t *v)
{
    if (!v || json_array_append_new(a, v) != 0)
        (*bad)++;
}

/* --- decoding --- */

/* The Go zero value in JSON: null, "", 0, false, [] and objects of zero values. ObjectMeta compares equal to the
 * empty one exactly when its JSON is zero (upstream's semantic equality treats nil and empty maps alike). */
static bool
is_zero(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_FALSE:
        return true;
    case JSON_STRING:
        return json_string_length(v) == 0;
    case JSON_INTEGER:
        return json_integer_value(v) == 0;
    case JSON_REAL:
        return json_real_value(v) == 0;
    case JSON_ARRAY:
        return json_array_size(v) == 0;
    case JSON_OBJECT: {
        const char *k;
        json_t *m;
        json_object_foreach((json_t *)v, k, m)
        {
            if (!is_zero(m))
                return false;
        }
        return true;
    }
    default:
        return false;
    }
}

/* A string member of obj: its value, "" when absent or null; NULL when it is of another type. */
static const char *
str_member(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return "";
    return json_string_value(v);
}

/* 400 as upstream's decoder words it, for a body of the right kind but a field of the wrong JSON type. */
static void
reply_undecodable(struct api_reply *rep, const struct api_resource *r, const char *field, const char *want)
{
    api_reply_statusf(rep, 400, "BadRequest", "%s in version \"%s\" cannot be handled as a %s: %s must be %s", r->kind,
                      r->version, r->kind, field, want);
}

/* An object member (absent and null give NULL with *ok true; another type sets *ok false after replying 400). */
static json_t *
obj_member(json_t *obj, const char *name, const char *field, struct api_request *rq, struct api_reply *rep, bool *ok)
{
    json_t *v = json_object_get(obj, name);
    *ok = true;
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_object(v)) {
        reply_undecodable(rep, rq->res, field, "an object");
        *ok = false;
        return NULL;
    }
    return v;
}

/* Checks apiVersion and kind against the review's (filling them in when missing). Returns 0 or -1 after replying
 * 400 with upstream's message. */
static int
check_type(struct api_request *rq, struct api_reply *rep, json_t *obj, int *bad)
{
    char av[128];
    const struct api_resource *r = rq->res;
    api_resource_api_version(r, av, sizeof(av));
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *apiv = json_string_value(json_object_get(obj, "apiVersion"));
    if (apiv && *apiv && strcmp(apiv, av) != 0) {
        api_reply_statusf(rep, 400, "BadRequest",
                          "the API version in the data (%s) does not match the expected API version (%s)", apiv, av);
        return -1;
    }
    if (kind && *kind && strcmp(kind, r->kind) != 0) {
        api_reply_statusf(rep, 400, "BadRequest", "the kind in the data (%s) does not match the expected kind (%s)",
                          kind, r->kind);
        return -1;
    }
    oset(bad, obj, "kind", json_string(r->kind));
    oset(bad, obj, "apiVersion", json_string(av));
    return 0;
}

/* --- the three reviews --- */

/* Go's %#v of a NonResourceAttributes, as upstream's field error prints the value. */
static void
nonres_value(const char *path, const char *verb, char *buf, size_t len)
{
    snprintf(buf, len, "authorization.NonResourceAttributes{Path:\"%s\", Verb:\"%s\"}", path, verb);
}

static void
access_review(struct api_request *rq, json_t *obj, struct api_reply *rep, int *bad)
{
    bool ok;
    json_t *spec = obj_member(obj, "spec", "spec", rq, rep, &ok);
    if (!ok)
        return;
    json_t *ra = spec ? obj_member(spec, "resourceAttributes", "spec.resourceAttributes", rq, rep, &ok) : NULL;
    if (!ok)
        return;
    json_t *na = spec ? obj_member(spec, "nonResourceAttributes", "spec.nonResourceAttributes", rq, rep, &ok) : NULL;
    if (!ok)
        return;
    static const char *const ra_fields[] = {
        "namespace", "verb", "group", "version", "resource", "subresource", "name"
    };
    const char *rav[7] = { 0 }, *path = "", *verb = "";
    for (size_t i = 0; ra && i < 7; i++)
        if (!(rav[i] = str_member(ra, ra_fields[i]))) {
            char field[96];
            snprintf(field, sizeof(field), "spec.resourceAttributes.%s", ra_fields[i]);
            reply_undecodable(rep, rq->res, field, "a string");
            return;
        }
    if (na && (!(path = str_member(na, "path")) || !(verb = str_member(na, "verb")))) {
        reply_undecodable(rep, rq->res, "spec.nonResourceAttributes", "an object of strings");
        return;
    }

    /* upstream's ValidateSelfSubjectAccessReview */
    struct api_errors errs = { 0 };
    if (ra && na) {
        char v[600];
        nonres_value(path, verb, v, sizeof(v));
        api_errors_addf(&errs, API_REASON_INVALID, "spec.nonResourceAttributes",
                        "Invalid value: %s: cannot be specified in combination with resourceAttributes", v);
    }
    if (!ra && !na)
        api_errors_add(&errs, API_REASON_INVALID, "spec.resourceAttributes",
                       "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be "
                       "specified");
    json_t *meta = json_object_get(obj, "metadata");
    if (meta && !is_zero(meta)) {
        char *text = kc_jarena_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
        api_errors_addf(&errs, API_REASON_INVALID, "metadata", "Invalid value: %s: must be empty", text ? text : "{}");
        free(text);
    }
    if (errs.n) {
        api_reply_invalid(rep, rq, "", &errs);
        return;
    }

    struct api_authz_attrs at = { .resource_request = ra != NULL };
    if (ra) {
        at.namespace = rav[0];
        at.verb = rav[1];
        at.group = rav[2];
        at.version = rav[3];
        at.resource = rav[4];
        at.subresource = rav[5];
        at.name = rav[6];
    } else {
        at.path = path;
        at.verb = verb;
    }
    char reason[512];
    enum api_authz_decision d = api_authorize(&rq->user, &at, reason, sizeof(reason));
    json_t *status = json_pack("{s:b}", "allowed", d == API_AUTHZ_ALLOW);
    if (status && d == API_AUTHZ_DENY)
        oset(bad, status, "denied", json_true());
    if (status && reason[0])
        oset(bad, status, "reason", json_string(reason));
    oset(bad, obj, "metadata", json_pack("{s:n}", "creationTimestamp"));
    oset(bad, obj, "status", status);
    rep->status = 201;
    rep->body = json_incref(obj);
}

static void
rules_review(struct api_request *rq, json_t *obj, struct api_reply *rep)
{
    bool ok;
    json_t *spec = obj_member(obj, "spec", "spec", rq, rep, &ok);
    if (!ok)
        return;
    const char *ns = spec ? str_member(spec, "namespace") : "";
    if (!ns) {
        reply_undecodable(rep, rq->res, "spec.namespace", "a string");
        return;
    }
    if (!ns[0]) {
        api_reply_statusf(rep, 400, "BadRequest", "no namespace on request");
        return;
    }
    json_t *res, *nonres;
    bool incomplete;
    if (api_authz_rules(&rq->user, ns, &res, &nonres, &incomplete) != 0) {
        api_reply_statusf(rep, 500, "InternalError", "out of memory");
        return;
    }
    /* upstream answers a fresh object: the spec is not echoed */
    rep->status = 201;
    rep->body = json_pack("{s:s,s:s,s:{s:n},s:{},s:{s:o,s:o,s:b}}", "kind", rq->res->kind, "apiVersion",
                          "authorization.k8s.io/v1", "metadata", "creationTimestamp", "spec", "status", "resourceRules",
                          res, "nonResourceRules", nonres, "incomplete", incomplete);
}

static void
subject_review(struct api_request *rq, const char *uid, struct api_reply *rep, int *bad)
{
    char now[KC_TIME_BUF];
    kc_time_format(kc_time_now(), now);
    json_t *groups = json_array();
    for (int i = 0; groups && i < rq->user.ngroups; i++)
        aadd(bad, groups, json_string(rq->user.groups[i]));
    json_t *ui = json_pack("{s:s}", "username", rq->user.name);
    if (ui && uid && uid[0])
        oset(bad, ui, "uid", json_string(uid));
    if (ui)
        oset(bad, ui, "groups", groups);
    else
        json_decref(groups);
    /* extra (a service account token's, satoken.c): a map of lists in key order; upstream omits an empty one */
    json_t *extra = rq->user.nextra ? json_object() : NULL;
    if (rq->user.nextra && !extra)
        (*bad)++;
    for (int i = 0; extra && i < rq->user.nextra; i++)
        oset(bad, extra, rq->user.extra_keys[i], json_pack("[s]", rq->user.extra_values[i]));
    if (ui && extra)
        oset(bad, ui, "extra", extra);
    else
        json_decref(extra);
    rep->status = 201;
    rep->body = json_pack("{s:s,s:s,s:{s:s},s:{s:o}}", "kind", rq->res->kind, "apiVersion", "authentication.k8s.io/v1",
                          "metadata", "creationTimestamp", now, "status", "userInfo", ui);
}

void
api_review_handle(struct api_request *rq, const char *user_uid, struct api_reply *rep)
{
    json_t *obj;
    if (api_parse_body(rq, rep, &obj) != 0)
        return;
    api_review_answer(rq, user_uid, obj, rep);
    json_decref(obj);
}

void
api_review_answer(struct api_request *rq, const char *user_uid, json_t *obj, struct api_reply *rep)
{
    int bad = 0;
    if (check_type(rq, rep, obj, &bad) == 0) {
        if (strcmp(rq->res->kind, "SelfSubjectAccessReview") == 0)
            access_review(rq, obj, rep, &bad);
        else if (strcmp(rq->res->kind, "SelfSubjectRulesReview") == 0)
            rules_review(rq, obj, rep);
        else
            subject_review(rq, user_uid, rep, &bad);
    }
    if (bad || !rep->body) {
        json_decref(rep->body);
        rep->status = 500;
        rep->body = api_status(500, "InternalError", "out of memory", NULL, NULL, NULL);
    }
}

/* --- HTTP --- */

bool
api_review_serve(kc_httpd_req *req, struct api_request *rq)
{
    const struct api_resource *r = api_review_find(rq->group, rq->version, rq->plural);
    if (!r)
        return false;
    rq->res = r;
    struct api_reply rep = { 0 };
    if (rq->namespace[0] || rq->name[0] || rq->sub[0]) {
        api_reply_statusf(&rep, 404, "NotFound", "the server could not find the requested resource");
    } else if (strcmp(rq->verb, "create") != 0) {
        api_reply_statusf(&rep, 405, "MethodNotAllowed",
                          "the server does not allow this method on the requested resource");
    } else {
        rq->body = kc_httpd_req_body(req, &rq->body_len);
        if (rq->body_len > rq->srv->cfg.max_body) {
            api_reply_statusf(&rep, 413, "RequestEntityTooLarge", "the request body is larger than %zu bytes",
                              rq->srv->cfg.max_body);
        } else {
            api_review_handle(rq, rq->user.uid, &rep); /* the uid authenticate() found (server.c) */
        }
    }
    kc_httpd_reply_json(req, rep.status, rep.body, false);
    json_decref(rep.body);
    for (int i = 0; i < rep.nwarnings; i++)
        free(rep.warnings[i]);
    return true;
}
