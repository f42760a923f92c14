/* api_authz.h - the authorizer (one decision function, apiserver/authz.c, which the RBAC work replaces) and the
 * create-only review kinds answered from it (apiserver/reviews.c): authorization.k8s.io/v1
 * SelfSubjectAccessReview and SelfSubjectRulesReview, authentication.k8s.io/v1 SelfSubjectReview.
 */
#ifndef API_AUTHZ_H
#define API_AUTHZ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "api_int.h"

/* What is being asked, as upstream's authorizer.Attributes. Unset strings are NULL or "". */
struct api_authz_attrs {
    bool resource_request;   /* true: a verb on a resource; false: a verb on a non-resource path */
    const char *verb;        /* get, list, watch, create, update, patch, delete, deletecollection (or any other
                                verb a review names); for a non-resource path the lower-case HTTP method */
    const char *namespace;   /* "" for cluster-scoped resources and all namespaces */
    const char *group;       /* "" for the core group, "*" for all */
    const char *version;     /* may be empty */
    const char *resource;    /* plural, e.g. "pods" */
    const char *subresource; /* e.g. "status" */
    const char *name;        /* the object's name, empty for collections */
    const char *path;        /* non-resource requests: the URL path, e.g. "/healthz" */
};

enum api_authz_decision {
    API_AUTHZ_NO_OPINION = 0, /* nothing allows it (upstream then answers 403) */
    API_AUTHZ_ALLOW = 1,
    API_AUTHZ_DENY = 2, /* explicitly denied */
};

/* The authorizer: whether user may do attrs. The reason (why, for SelfSubjectAccessReview's status.reason) is
 * written to reason (NUL-terminated, truncated to len; may be empty). Today every authenticated user (a non-empty
 * name) is allowed everything; an unauthenticated one gets NO_OPINION. Thread-safe, no I/O. */
enum api_authz_decision api_authorize(const struct api_user *user, const struct api_authz_attrs *attrs, char *reason,
                                      size_t len);

/* What user may do in namespace ns, as SelfSubjectRulesReview's status: *resource_rules gets an array of
 * {verbs, apiGroups, resources[, resourceNames]} and *non_resource_rules one of {verbs, nonResourceURLs} (new
 * references the caller decrefs), *incomplete whether the list may be missing rules. Today: everything
 * ([{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}] and [{"verbs":["*"],"nonResourceURLs":["*"]}]) for an
 * authenticated user, nothing for an unauthenticated one. Returns 0 or -ENOMEM (out-parameters untouched). */
int api_authz_rules(const struct api_user *user, const char *ns, json_t **resource_rules, json_t **non_resource_rules,
                    bool *incomplete);

/* The review kinds as resource-table rows (discovery and OpenAPI list them through api_served_at): cluster-scoped,
 * verbs create only, no storage. Ends with a row whose kind is NULL. */
extern const struct api_resource api_review_resources[];

/* The review row for (group, version, plural), or NULL. */
const struct api_resource *api_review_find(const char *group, const char *version, const char *plural);

/* Answers one review request, rq routed (group, version, plural, namespace, name, sub, verb, user,
 * content_type set; rq->res NULL) but its body not read yet. Returns false, replying nothing, when rq's
 * resource is not a review kind. Otherwise replies on the loop thread: 201 with the review and its status;
 * 404 for a namespace, name or subresource in the path; 405 for any verb but create; 413 for a body over
 * the limit; 400/415 from api_parse_body; 400 for a mismatched kind or apiVersion or a rules review without
 * spec.namespace; 422 for an access review naming both or neither of resourceAttributes and
 * nonResourceAttributes, or with metadata. SelfSubjectReview's uid is that of the bearer token the request
 * authenticated with (client certificates carry none): struct api_user's uid. */
bool api_review_serve(kc_httpd_req *req, struct api_request *rq);

/* The review itself, without HTTP: fills rep (status and body) for rq (rq->res a review row, verb create, the
 * body in rq->body) as api_review_serve would; user_uid is the caller's uid ("" when none). Pure but for the
 * clock (SelfSubjectReview's creationTimestamp). */
void api_review_handle(struct api_request *rq, const char *user_uid, struct api_reply *rep);

/* api_review_handle after the body's parse: answers for obj, the parsed body (borrowed; its members may be changed).
 * Any allocation failure gives a 500 Status, never a review with a member left out. */
void api_review_answer(struct api_request *rq, const char *user_uid, json_t *obj, struct api_reply *rep);

#endif
