/* test_openapi.c - the OpenAPI documents (apiserver/openapi.c). v3: paths and operations of the served kinds as
 * upstream names them, fieldValidation on every write, schemas re-emitted from kc_schema with upstream's
 * extensions, a closed set of references per document, only served kinds, the /openapi/v3 index and its hashes.
 * v2: the same operations in Swagger 2.0's form (body parameters, consumes/produces, dryRun in each PATCH), the
 * discovery paths, definitions with references beside their siblings and no oneOf, agreement with every v3
 * document, the served JSON and protobuf forms and their hash. Both: allocation failure at many points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_discovery.h"
#include "api_openapi.h"
#include "kc_fault.h"
#include "kc_json.h"

/* Parses test JSON written with single quotes. */
static json_t *
J(const char *text)
{
    size_t n = strlen(text);
    char *s = malloc(n + 1), err[160];
    json_t *v = NULL;
    assert_non_null(s);
    for (size_t i = 0; i <= n; i++)
        s[i] = text[i] == '\'' ? '"' : text[i];
    if (kc_json_parse(s, n, &v, err, sizeof(err)) != 0) {
        print_error("bad test JSON %s: %s\n", s, err);
        free(s);
        fail();
    }
    free(s);
    return v;
}

/* Fails printing both sides when got differs from the JSON text want. */
static void
expect_json_at(const json_t *got, const char *want, const char *what, int line)
{
    json_t *w = J(want);
    bool ok = got && kc_json_equal(got, w);
    if (!ok) {
        char *g = got ? kc_json_canonical(got) : NULL, *e = kc_json_canonical(w);
        print_error("line %d, %s:\n  got  %s\n  want %s\n", line, what, g ? g : "(missing)", e);
        free(g);
        free(e);
    }
    json_decref(w);
    if (!ok)
        fail();
}
#define EXPECT_JSON(got, want) expect_json_at(got, want, #got, __LINE__)

/* The member key of obj (a JSON object), failing with a message when it is missing. */
static json_t *
member_at(json_t *obj, const char *key, int line)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        print_error("line %d: no member \"%s\"\n", line, key);
        fail();
    }
    return v;
}
#define M(obj, key) member_at(obj, key, __LINE__)

/* Whether a parameter list holds {name, in}. */
static bool
has_param(const json_t *params, const char *name, const char *in)
{
    size_t i;
    json_t *p;
    json_array_foreach(params, i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0 &&
            strcmp(json_string_value(json_object_get(p, "in")), in) == 0)
            return true;
    }
    return false;
}

/* Whether operation op of path item or the item itself declares the parameter. */
static bool
op_has_param(json_t *item, json_t *op, const char *name, const char *in)
{
    return has_param(json_object_get(op, "parameters"), name, in) ||
           has_param(json_object_get(item, "parameters"), name, in);
}

static void
test_core_pod_paths(void **state)
{
    (void)state;
    json_t *doc = api_openapi_build("", "v1");
    assert_non_null(doc);
    assert_string_equal(json_string_value(M(doc, "openapi")), "3.0.0");
    EXPECT_JSON(M(doc, "info"), "{'title':'Kubernetes','version':'unversioned'}");
    json_t *paths = M(doc, "paths");

    json_t *item = M(paths, "/api/v1/namespaces/{namespace}/pods/{name}");
    /* path-level: what every operation shares, sorted by name */
    EXPECT_JSON(M(item, "parameters"),
                "[{'in':'path','name':'name','required':true,'schema':{'type':'string','uniqueItems':true}},"
                "{'in':'path','name':'namespace','required':true,'schema':{'type':'string','uniqueItems':true}},"
                "{'in':'query','name':'pretty','schema':{'type':'string','uniqueItems':true}}]");
    json_t *patch = M(item, "patch");
    assert_string_equal(json_string_value(M(patch, "operationId")), "patchCoreV1NamespacedPod");
    assert_string_equal(json_string_value(M(patch, "x-kubernetes-action")), "patch");
    EXPECT_JSON(M(patch, "x-kubernetes-group-version-kind"), "{'group':'','kind':'Pod','version':'v1'}");
    EXPECT_JSON(M(patch, "tags"), "['core_v1']");
    EXPECT_JSON(M(patch, "parameters"),
                "[{'in':'query','name':'dryRun','schema':{'type':'string','uniqueItems':true}},"
                "{'in':'query','name':'fieldManager','schema':{'type':'string','uniqueItems':true}},"
                "{'in':'query','name':'fieldValidation','schema':{'type':'string','uniqueItems':true}},"
                "{'in':'query','name':'force','schema':{'type':'boolean','uniqueItems':true}}]");
    json_t *content = M(M(patch, "requestBody"), "content");
    assert_int_equal(json_object_size(content), 4);
    assert_non_null(M(content, "application/apply-patch+yaml"));
    EXPECT_JSON(M(content, "application/strategic-merge-patch+json"),
                "{'schema':{'$ref':'#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch'}}");
    assert_non_null(M(content, "application/merge-patch+json"));
    assert_non_null(M(content, "application/json-patch+json"));
    EXPECT_JSON(M(M(patch, "responses"), "200"), "{'description':'OK','content':{'application/json':{'schema':"
                                                 "{'$ref':'#/components/schemas/io.k8s.api.core.v1.Pod'}}}}");
    EXPECT_JSON(M(M(patch, "responses"), "401"), "{'description':'Unauthorized'}");

    assert_string_equal(json_string_value(M(M(item, "get"), "operationId")), "readCoreV1NamespacedPod");
    assert_null(json_object_get(M(item, "get"), "parameters")); /* everything it takes is at the path level */
    assert_string_equal(json_string_value(M(M(item, "put"), "operationId")), "replaceCoreV1NamespacedPod");
    assert_true(op_has_param(item, M(item, "put"), "fieldValidation", "query"));
    assert_string_equal(json_string_value(M(M(item, "delete"), "operationId")), "deleteCoreV1NamespacedPod");
    assert_true(op_has_param(item, M(item, "delete"), "gracePeriodSeconds", "query"));

    json_t *coll = M(paths, "/api/v1/namespaces/{namespace}/pods");
    assert_string_equal(json_string_value(M(M(coll, "get"), "operationId")), "listCoreV1NamespacedPod");
    assert_string_equal(json_string_value(M(M(coll, "get"), "x-kubernetes-action")), "list");
    assert_true(op_has_param(coll, M(coll, "get"), "watch", "query"));
    assert_string_equal(json_string_value(M(M(coll, "post"), "operationId")), "createCoreV1NamespacedPod");
    assert_string_equal(json_string_value(M(M(coll, "post"), "x-kubernetes-action")), "post");
    assert_true(op_has_param(coll, M(coll, "post"), "fieldValidation", "query"));
    assert_int_equal(json_object_size(M(M(coll, "post"), "responses")), 4); /* 200 201 202 401 */
    assert_string_equal(json_string_value(M(M(coll, "delete"), "operationId")), "deleteCoreV1CollectionNamespacedPod");
    assert_string_equal(json_string_value(M(M(coll, "delete"), "x-kubernetes-action")), "deletecollection");

    /* one operation: every parameter at the path level */
    json_t *all = M(paths, "/api/v1/pods");
    assert_string_equal(json_string_value(M(M(all, "get"), "operationId")), "listCoreV1PodForAllNamespaces");
    assert_null(json_object_get(M(all, "get"), "parameters"));
    assert_true(has_param(M(all, "parameters"), "watch", "query"));
    assert_true(has_param(M(all, "parameters"), "labelSelector", "query"));

    json_t *binding = M(M(paths, "/api/v1/namespaces/{namespace}/pods/{name}/binding"), "post");
    assert_string_equal(json_string_value(M(binding, "operationId")), "createCoreV1NamespacedPodBinding");
    EXPECT_JSON(M(binding, "x-kubernetes-group-version-kind"), "{'group':'','kind':'Binding','version':'v1'}");
    json_t *status = M(paths, "/api/v1/namespaces/{namespace}/pods/{name}/status");
    assert_string_equal(json_string_value(M(M(status, "patch"), "operationId")), "patchCoreV1NamespacedPodStatus");
    assert_true(op_has_param(status, M(status, "patch"), "fieldValidation", "query"));
    json_t *log = M(M(paths, "/api/v1/namespaces/{namespace}/pods/{name}/log"), "get");
    assert_string_equal(json_string_value(M(log, "operationId")), "readCoreV1NamespacedPodLog");
    EXPECT_JSON(M(M(M(M(log, "responses"), "200"), "content"), "text/plain"), "{'schema':{'type':'string'}}");
    /* subresources the server does not serve are not announced */
    assert_null(json_object_get(paths, "/api/v1/namespaces/{namespace}/pods/{name}/exec"));
    json_t *evict = M(M(paths, "/api/v1/namespaces/{namespace}/pods/{name}/eviction"), "post");
    assert_string_equal(json_string_value(M(evict, "operationId")), "createCoreV1NamespacedPodEviction");
    EXPECT_JSON(M(evict, "x-kubernetes-group-version-kind"), "{'group':'policy','kind':'Eviction','version':'v1'}");
    EXPECT_JSON(M(M(M(M(evict, "responses"), "201"), "content"), "application/json"),
                "{'schema':{'$ref':'#/components/schemas/io.k8s.api.policy.v1.Eviction'}}");
    /* DELETE answers what the registry returns: the pod (ReturnDeletedObject); a namespace's document names a
     * Status, and namespaces have no deletecollection */
    EXPECT_JSON(M(M(M(M(M(item, "delete"), "responses"), "200"), "content"), "application/json"),
                "{'schema':{'$ref':'#/components/schemas/io.k8s.api.core.v1.Pod'}}");
    EXPECT_JSON(M(M(M(M(M(M(paths, "/api/v1/namespaces/{name}"), "delete"), "responses"), "200"), "content"),
                  "application/json"),
                "{'schema':{'$ref':'#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Status'}}");
    assert_null(json_object_get(M(paths, "/api/v1/namespaces"), "delete"));
    EXPECT_JSON(M(M(M(M(M(M(paths, "/api/v1/namespaces/{namespace}/configmaps/{name}"), "delete"), "responses"), "200"),
                    "content"),
                  "application/json"),
                "{'schema':{'$ref':'#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Status'}}");
    assert_null(json_object_get(paths, "/api/v1/watch/pods"));

    /* cluster-scoped, and the namespace's finalize */
    json_t *ns = M(paths, "/api/v1/namespaces/{name}");
    assert_string_equal(json_string_value(M(M(ns, "get"), "operationId")), "readCoreV1Namespace");
    assert_false(has_param(M(ns, "parameters"), "namespace", "path"));
    assert_string_equal(json_string_value(M(M(M(paths, "/api/v1/namespaces"), "get"), "operationId")),
                        "listCoreV1Namespace");
    assert_null(json_object_get(paths, "/api/v1/namespaces/{namespace}/namespaces"));
    json_t *fin = M(M(paths, "/api/v1/namespaces/{name}/finalize"), "put");
    assert_string_equal(json_string_value(M(fin, "operationId")), "replaceCoreV1NamespaceFinalize");

    /* the group-version's discovery document */
    json_t *disc = M(M(paths, "/api/v1/"), "get");
    assert_string_equal(json_string_value(M(disc, "operationId")), "getCoreV1APIResources");

    /* only the kinds we serve */
    assert_null(json_object_get(paths, "/api/v1/namespaces/{namespace}/replicationcontrollers"));
    json_t *schemas = M(M(doc, "components"), "schemas");
    assert_null(json_object_get(schemas, "io.k8s.api.core.v1.ReplicationController"));
    assert_null(json_object_get(schemas, "io.k8s.api.core.v1.ComponentStatus"));
    EXPECT_JSON(M(M(M(doc, "components"), "securitySchemes"), "BearerToken"),
                "{'in':'header','name':'authorization','type':'apiKey'}");
    json_decref(doc);
}

static void
test_group_paths(void **state)
{
    (void)state;
    json_t *doc = api_openapi_build("apps", "v1");
    assert_non_null(doc);
    json_t *paths = M(doc, "paths");
    json_t *scale = M(paths, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale");
    assert_string_equal(json_string_value(M(M(scale, "get"), "operationId")), "readAppsV1NamespacedDeploymentScale");
    json_t *sp = M(scale, "patch");
    assert_string_equal(json_string_value(M(sp, "operationId")), "patchAppsV1NamespacedDeploymentScale");
    EXPECT_JSON(M(sp, "x-kubernetes-group-version-kind"), "{'group':'autoscaling','kind':'Scale','version':'v1'}");
    assert_true(op_has_param(scale, sp, "fieldValidation", "query"));
    json_t *schemas = M(M(doc, "components"), "schemas");
    EXPECT_JSON(M(M(schemas, "io.k8s.api.autoscaling.v1.Scale"), "x-kubernetes-group-version-kind"),
                "[{'group':'autoscaling','kind':'Scale','version':'v1'}]");
    assert_null(json_object_get(paths, "/apis/apps/v1/namespaces/{namespace}/controllerrevisions"));
    assert_null(json_object_get(schemas, "io.k8s.api.apps.v1.ControllerRevision"));
    assert_non_null(M(paths, "/apis/apps/v1/deployments"));
    json_decref(doc);

    doc = api_openapi_build("networking.k8s.io", "v1");
    assert_non_null(doc);
    json_t *ic = M(M(M(doc, "paths"), "/apis/networking.k8s.io/v1/ingressclasses"), "get");
    assert_string_equal(json_string_value(M(ic, "operationId")), "listNetworkingV1IngressClass");
    EXPECT_JSON(M(ic, "tags"), "['networking_v1']");
    json_decref(doc);

    doc = api_openapi_build("autoscaling", "v2");
    assert_non_null(doc);
    json_t *hpa =
        M(M(M(doc, "paths"), "/apis/autoscaling/v2/namespaces/{namespace}/horizontalpodautoscalers/{name}"), "patch");
    assert_string_equal(json_string_value(M(hpa, "operationId")),
                        "patchAutoscalingV2NamespacedHorizontalPodAutoscaler");
    json_decref(doc);

    /* the create-only review kinds: one POST each */
    doc = api_openapi_build("authorization.k8s.io", "v1");
    assert_non_null(doc);
    paths = M(doc, "paths");
    json_t *ssar = M(paths, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
    assert_string_equal(json_string_value(M(M(ssar, "post"), "operationId")),
                        "createAuthorizationV1SelfSubjectAccessReview");
    assert_true(has_param(M(ssar, "parameters"), "fieldValidation", "query"));
    assert_null(json_object_get(ssar, "get"));
    assert_null(json_object_get(paths, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews/{name}"));
    assert_non_null(M(paths, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"));
    assert_null(json_object_get(paths, "/apis/authorization.k8s.io/v1/subjectaccessreviews"));
    EXPECT_JSON(
        M(M(M(M(doc, "components"), "schemas"), "io.k8s.api.authorization.v1.SelfSubjectAccessReview"), "required"),
        "['spec']");
    json_decref(doc);
    doc = api_openapi_build("authentication.k8s.io", "v1");
    assert_non_null(doc);
    assert_string_equal(
        json_string_value(
            M(M(M(M(doc, "paths"), "/apis/authentication.k8s.io/v1/selfsubjectreviews"), "post"), "operationId")),
        "createAuthenticationV1SelfSubjectReview");
    json_decref(doc);
}

static void
test_schemas(void **state)
{
    (void)state;
    json_t *doc = api_openapi_build("", "v1");
    assert_non_null(doc);
    json_t *schemas = M(M(doc, "components"), "schemas");
    json_t *spec = M(schemas, "io.k8s.api.core.v1.PodSpec");
    assert_string_equal(json_string_value(M(spec, "type")), "object");
    EXPECT_JSON(M(spec, "required"), "['containers']");
    json_t *props = M(spec, "properties");
    EXPECT_JSON(M(props, "containers"),
                "{'type':'array','items':{'allOf':[{'$ref':'#/components/schemas/io.k8s.api.core.v1.Container'}],"
                "'default':{}},'x-kubernetes-list-map-keys':['name'],'x-kubernetes-list-type':'map',"
                "'x-kubernetes-patch-merge-key':'name','x-kubernetes-patch-strategy':'merge'}");
    EXPECT_JSON(M(props, "volumes"),
                "{'type':'array','items':{'allOf':[{'$ref':'#/components/schemas/io.k8s.api.core.v1.Volume'}],"
                "'default':{}},'x-kubernetes-list-map-keys':['name'],'x-kubernetes-list-type':'map',"
                "'x-kubernetes-patch-merge-key':'name','x-kubernetes-patch-strategy':'merge,retainKeys'}");
    EXPECT_JSON(M(props, "nodeSelector"),
                "{'type':'object','additionalProperties':{'type':'string'},'x-kubernetes-map-type':'atomic'}");
    EXPECT_JSON(M(props, "overhead"), "{'type':'object','additionalProperties':"
                                      "{'$ref':'#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity'}}");
    EXPECT_JSON(M(props, "priority"), "{'type':'integer','format':'int32'}");
    EXPECT_JSON(M(props, "securityContext"),
                "{'allOf':[{'$ref':'#/components/schemas/io.k8s.api.core.v1.PodSecurityContext'}]}");
    assert_null(json_object_get(spec, "description"));

    EXPECT_JSON(M(schemas, "io.k8s.api.core.v1.Pod")
                    ? json_object_get(M(schemas, "io.k8s.api.core.v1.Pod"), "x-kubernetes-group-version-kind")
                    : NULL,
                "[{'group':'','kind':'Pod','version':'v1'}]");
    EXPECT_JSON(M(M(M(schemas, "io.k8s.api.core.v1.ContainerPort"), "properties"), "protocol"),
                "{'type':'string','default':'TCP'}");
    EXPECT_JSON(M(schemas, "io.k8s.apimachinery.pkg.util.intstr.IntOrString"),
                "{'format':'int-or-string','oneOf':[{'type':'integer'},{'type':'string'}]}");
    EXPECT_JSON(M(schemas, "io.k8s.apimachinery.pkg.api.resource.Quantity"),
                "{'oneOf':[{'type':'string'},{'type':'number'}]}");
    EXPECT_JSON(M(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.Time"), "{'type':'string','format':'date-time'}");
    EXPECT_JSON(M(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1"), "{'type':'object'}");
    EXPECT_JSON(M(schemas, "io.k8s.api.core.v1.SeccompProfile"),
                "{'type':'object','properties':{'localhostProfile':{'type':'string'},'type':{'type':'string'}},"
                "'required':['type'],'x-kubernetes-unions':[{'discriminator':'type',"
                "'fields-to-discriminateBy':{'localhostProfile':'LocalhostProfile'}}]}");
    assert_string_equal(json_string_value(M(M(schemas, "io.k8s.api.core.v1.ObjectReference"), "x-kubernetes-map-type")),
                        "atomic");
    EXPECT_JSON(M(M(M(schemas, "io.k8s.api.core.v1.Secret"), "properties"), "data"),
                "{'type':'object','additionalProperties':{'type':'string','format':'byte'}}");

    /* DeleteOptions lists every group-version upstream; here only the served ones */
    json_t *gvks =
        M(M(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"), "x-kubernetes-group-version-kind");
    size_t i;
    json_t *g;
    bool apps = false, core = false;
    json_array_foreach(gvks, i, g)
    {
        const char *grp = json_string_value(M(g, "group")), *ver = json_string_value(M(g, "version"));
        assert_string_equal(json_string_value(M(g, "kind")), "DeleteOptions");
        if (!api_gv_served(grp, ver)) {
            print_error("DeleteOptions lists unserved %s/%s\n", grp, ver);
            fail();
        }
        apps = apps || (strcmp(grp, "apps") == 0 && strcmp(ver, "v1") == 0);
        core = core || (!grp[0] && strcmp(ver, "v1") == 0);
    }
    assert_true(apps && core);
    json_decref(doc);
}

/* Counts in *bad every "$ref" under v that does not name a member of schemas with prefix (and every allOf or
 * oneOf when the prefix is v2's, which has neither). */
static void
check_refs_in(const json_t *v, const json_t *schemas, const char *prefix, const char *doc, int *bad)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach((json_t *)v, k, m)
        {
            if (strcmp(prefix, "#/definitions/") == 0 && (strcmp(k, "allOf") == 0 || strcmp(k, "oneOf") == 0)) {
                print_error("%s: %s in a Swagger 2.0 document\n", doc, k);
                (*bad)++;
            }
            if (strcmp(k, "$ref") == 0) {
                const char *ref = json_string_value(m);
                if (!ref || strncmp(ref, prefix, strlen(prefix)) != 0 ||
                    !json_object_get(schemas, ref + strlen(prefix))) {
                    print_error("%s: dangling $ref %s\n", doc, ref ? ref : "(not a string)");
                    (*bad)++;
                }
            } else {
                check_refs_in(m, schemas, prefix, doc, bad);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) check_refs_in(m, schemas, prefix, doc, bad);
    }
}

static void
check_refs(const json_t *v, const json_t *schemas, const char *doc, int *bad)
{
    check_refs_in(v, schemas, "#/components/schemas/", doc, bad);
}

/* Every served group-version: a document whose references all resolve, whose every write declares fieldValidation,
 * and whose every served kind has its schema with x-kubernetes-group-version-kind. */
static void
test_every_document(void **state)
{
    (void)state;
    const struct api_resource *r;
    int docs = 0;
    for (size_t n = 0; (r = api_served_at(n)); n++) {
        json_t *doc = api_openapi_build(r->group, r->version);
        assert_non_null(doc);
        char name[128];
        snprintf(name, sizeof(name), "%s/%s", r->group, r->version);
        json_t *schemas = M(M(doc, "components"), "schemas");
        int bad = 0;
        check_refs(doc, schemas, name, &bad);
        assert_int_equal(bad, 0);
        const char *path;
        json_t *item;
        int writes = 0;
        json_object_foreach(M(doc, "paths"), path, item)
        {
            static const char *const w[] = { "post", "put", "patch" };
            for (size_t k = 0; k < 3; k++) {
                json_t *op = json_object_get(item, w[k]);
                if (!op)
                    continue;
                writes++;
                if (!op_has_param(item, op, "fieldValidation", "query")) {
                    print_error("%s %s %s: no fieldValidation parameter\n", name, w[k], path);
                    fail();
                }
                if (!json_is_object(json_object_get(op, "x-kubernetes-group-version-kind"))) {
                    print_error("%s %s %s: no x-kubernetes-group-version-kind\n", name, w[k], path);
                    fail();
                }
            }
        }
        assert_true(writes > 0);
        /* the row's kind: its schema is in the document and names it */
        json_t *ks = json_object_get(schemas, r->schema);
        if (!ks) {
            print_error("%s: no schema %s\n", name, r->schema);
            fail();
        }
        json_t *gvk = json_array_get(json_object_get(ks, "x-kubernetes-group-version-kind"), 0);
        assert_string_equal(json_string_value(M(gvk, "kind")), r->kind);
        assert_string_equal(json_string_value(M(gvk, "group")), r->group);
        json_decref(doc);
        docs++;
    }
    assert_true(docs >= 27);
}

static void
test_unserved(void **state)
{
    (void)state;
    assert_null(api_openapi_build("apps", "v2"));
    assert_null(api_openapi_build("policy", "v1"));
    assert_null(api_openapi_build("", "v2"));
    assert_null(api_openapi_build(NULL, "v1"));
    assert_null(api_openapi_build("", NULL));
}

static bool
is_hash(const char *h)
{
    if (!h || strlen(h) != API_OPENAPI_HASH_LEN)
        return false;
    for (const char *p = h; *p; p++)
        if (!isxdigit((unsigned char)*p) || islower((unsigned char)*p))
            return false;
    return true;
}

static void
test_index_and_hashes(void **state)
{
    (void)state;
    struct api_openapi *o = NULL, *o2 = NULL;
    assert_int_equal(api_openapi_new(&o), 0);
    assert_int_equal(api_openapi_new(&o2), 0);
    size_t len;
    const char *hash, *text = api_openapi_get(o, "", &len, &hash);
    assert_non_null(text);
    assert_true(is_hash(hash));
    json_t *index;
    char err[128];
    assert_int_equal(kc_json_parse(text, len, &index, err, sizeof(err)), 0);
    json_t *paths = M(index, "paths");
    assert_int_equal(json_object_size(index), 1);

    /* one entry per served group-version, none other */
    size_t want = 0;
    const struct api_resource *r;
    for (size_t n = 0; (r = api_served_at(n)); n++) {
        char p[160];
        if (r->group[0])
            snprintf(p, sizeof(p), "apis/%s/%s", r->group, r->version);
        else
            snprintf(p, sizeof(p), "api/%s", r->version);
        json_t *e = json_object_get(paths, p);
        if (!e) {
            print_error("index lacks %s\n", p);
            fail();
        }
        bool first = true;
        for (size_t k = 0; k < n; k++)
            if (strcmp(api_served_at(k)->group, r->group) == 0 && strcmp(api_served_at(k)->version, r->version) == 0)
                first = false;
        want += first;
        size_t dlen, dlen2;
        const char *dhash, *dhash2;
        const char *dtext = api_openapi_get(o, p, &dlen, &dhash);
        assert_non_null(dtext);
        assert_true(is_hash(dhash));
        /* the hash is the SHA-512 of exactly the served bytes */
        unsigned char d[SHA512_DIGEST_LENGTH];
        char hex[API_OPENAPI_HASH_LEN + 1];
        SHA512((const unsigned char *)dtext, dlen, d);
        for (int i = 0; i < SHA512_DIGEST_LENGTH; i++)
            snprintf(hex + 2 * i, 3, "%02X", d[i]);
        assert_string_equal(dhash, hex);
        char url[400];
        snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%s", p, dhash);
        assert_string_equal(json_string_value(M(e, "serverRelativeURL")), url);
        /* deterministic: a second build gives the same bytes */
        const char *dtext2 = api_openapi_get(o2, p, &dlen2, &dhash2);
        assert_int_equal(dlen, dlen2);
        assert_memory_equal(dtext, dtext2, dlen);
        /* the served text is the built document */
        json_t *parsed, *built = api_openapi_build(r->group, r->version);
        assert_int_equal(kc_json_parse(dtext, dlen, &parsed, err, sizeof(err)), 0);
        assert_true(kc_json_equal(parsed, built));
        json_decref(parsed);
        json_decref(built);
    }
    assert_int_equal(json_object_size(paths), want);
    assert_null(api_openapi_get(o, "apis/apps/v2", &len, &hash));
    assert_null(api_openapi_get(o, "apis/policy/v1", &len, NULL));
    assert_null(api_openapi_get(o, "api", &len, NULL));
    assert_non_null(api_openapi_get(o, "api/v1", &len, NULL)); /* hash may be NULL */
    json_decref(index);
    api_openapi_free(o);
    api_openapi_free(o2);
    api_openapi_free(NULL);
}

/* --- allocation failure: jansson's allocator fails once at the nth call from arming --- */

static long fail_at = -1, calls;

static void *
failing_malloc(size_t n)
{
    if (fail_at >= 0 && calls++ == fail_at)
        return NULL;
    return malloc(n);
}

static void
test_allocation_failure(void **state)
{
    (void)state;
    json_set_alloc_funcs(failing_malloc, free);
    long total;
    fail_at = -1;
    calls = 0;
    json_t *doc = api_openapi_build("apps", "v1");
    assert_non_null(doc);
    json_decref(doc);
    fail_at = 1 << 30; /* count the calls of one build */
    calls = 0;
    doc = api_openapi_build("apps", "v1");
    json_decref(doc);
    total = calls;
    assert_true(total > 1000);
    /* fail at ~200 points spread over the whole build: every one fails the build (no document with a member
     * left out), never a crash, and under ASan never a leak */
    int points = 0, failed = 0;
    for (long at = 0; at < total; at += total / 200 + 1) {
        fail_at = at;
        calls = 0;
        doc = api_openapi_build("apps", "v1");
        points++;
        if (!doc)
            failed++;
        else
            print_error("allocation %ld of %ld failed but the build succeeded\n", at, total);
        json_decref(doc);
    }
    assert_int_equal(failed, points);
    fail_at = -1;
    /* and the whole set: an error or a complete result */
    for (long at = 0; at < 400000; at += 40000) {
        struct api_openapi *o = NULL;
        fail_at = at;
        calls = 0;
        int rc = api_openapi_new(&o);
        fail_at = -1;
        if (rc == 0) {
            size_t len;
            assert_non_null(api_openapi_get(o, "apis/apps/v1", &len, NULL));
            api_openapi_free(o);
        } else {
            assert_int_equal(rc, -ENOMEM);
            assert_null(o);
        }
    }
    json_set_alloc_funcs(malloc, free);
}

/* The few allocations outside jansson (kc_malloc and friends): each failure fails the build or the set. */
static void
test_kc_allocation_failure(void **state)
{
    (void)state;
    kc_fault_arm(KC_FAULT_ALLOC, 1, 0, false);
    assert_null(api_openapi_build("", "v1")); /* the first one: the reachability bitmap */
    assert_int_equal(kc_fault_injected(KC_FAULT_ALLOC), 1);
    kc_fault_disarm(KC_FAULT_ALLOC);
    int injected = 0;
    for (long nth = 1; nth < 3000; nth = nth < 8 ? nth + 1 : nth * 3 / 2) {
        struct api_openapi *o = NULL;
        kc_fault_arm(KC_FAULT_ALLOC, nth, 0, false);
        int rc = api_openapi_new(&o);
        long n = kc_fault_injected(KC_FAULT_ALLOC);
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (n) {
            injected++;
            if (rc != -ENOMEM || o) {
                print_error("allocation %ld failed, api_openapi_new gave %d\n", nth, rc);
                fail();
            }
        } else {
            assert_int_equal(rc, 0);
            api_openapi_free(o);
        }
    }
    assert_true(injected >= 10);
}

/* --- the v2 document --- */

static void
test_v2_paths(void **state)
{
    (void)state;
    json_t *doc = api_openapi_v2_build();
    assert_non_null(doc);
    assert_string_equal(json_string_value(M(doc, "swagger")), "2.0");
    assert_string_equal(json_string_value(M(M(doc, "info"), "title")), "Kubernetes");
    const char *ver = json_string_value(M(M(doc, "info"), "version")); /* /version's gitVersion */
    assert_non_null(ver);
    assert_int_equal(strncmp(ver, "v1.33.0+k8c-", 12), 0);
    assert_true(strlen(ver) > 12);
    EXPECT_JSON(M(doc, "security"), "[{'BearerToken':[]}]");
    EXPECT_JSON(M(doc, "securityDefinitions"),
                "{'BearerToken':{'in':'header','name':'authorization','type':'apiKey'}}");
    assert_null(json_object_get(doc, "components"));
    json_t *paths = M(doc, "paths");

    json_t *item = M(paths, "/api/v1/namespaces/{namespace}/pods/{name}");
    EXPECT_JSON(M(item, "parameters"),
                "[{'in':'path','name':'name','required':true,'type':'string','uniqueItems':true},"
                "{'in':'path','name':'namespace','required':true,'type':'string',"
                "'uniqueItems':true},"
                "{'in':'query','name':'pretty','type':'string','uniqueItems':true}]");
    json_t *patch = M(item, "patch");
    assert_string_equal(json_string_value(M(patch, "operationId")), "patchCoreV1NamespacedPod");
    assert_string_equal(json_string_value(M(patch, "x-kubernetes-action")), "patch");
    EXPECT_JSON(M(patch, "x-kubernetes-group-version-kind"), "{'group':'','kind':'Pod','version':'v1'}");
    EXPECT_JSON(M(patch, "tags"), "['core_v1']");
    EXPECT_JSON(M(patch, "schemes"), "['https']");
    EXPECT_JSON(M(patch, "consumes"), "['application/json-patch+json','application/merge-patch+json',"
                                      "'application/strategic-merge-patch+json','application/apply-patch+yaml']");
    EXPECT_JSON(M(patch, "produces"), "['application/json','application/yaml','application/vnd.kubernetes.protobuf']");
    /* kubectl 1.20's dry-run check reads dryRun from the PATCH operation's own parameters */
    EXPECT_JSON(M(patch, "parameters"), "[{'in':'body','name':'body','required':true,'schema':"
                                        "{'$ref':'#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch'}},"
                                        "{'in':'query','name':'dryRun','type':'string','uniqueItems':true},"
                                        "{'in':'query','name':'fieldManager','type':'string','uniqueItems':true},"
                                        "{'in':'query','name':'fieldValidation','type':'string','uniqueItems':true},"
                                        "{'in':'query','name':'force','type':'boolean','uniqueItems':true}]");
    EXPECT_JSON(M(patch, "responses"),
                "{'200':{'description':'OK','schema':{'$ref':'#/definitions/io.k8s.api.core.v1.Pod'}},"
                "'201':{'description':'Created','schema':{'$ref':'#/definitions/io.k8s.api.core.v1.Pod'}},"
                "'401':{'description':'Unauthorized'}}");
    EXPECT_JSON(M(M(item, "get"), "consumes"), "['*/*']");
    assert_null(json_object_get(M(item, "get"), "parameters"));
    /* DeleteOptions may be left out of a DELETE */
    json_t *del = M(M(item, "delete"), "parameters");
    EXPECT_JSON(json_array_get(del, 0), "{'in':'body','name':'body','schema':"
                                        "{'$ref':'#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions'}}");
    EXPECT_JSON(M(M(M(item, "delete"), "responses"), "200"),
                "{'description':'OK','schema':{'$ref':'#/definitions/io.k8s.api.core.v1.Pod'}}");

    json_t *coll = M(paths, "/api/v1/namespaces/{namespace}/pods");
    EXPECT_JSON(M(M(coll, "get"), "produces"),
                "['application/json','application/yaml','application/vnd.kubernetes.protobuf',"
                "'application/json;stream=watch','application/vnd.kubernetes.protobuf;stream=watch']");
    assert_true(op_has_param(coll, M(coll, "get"), "watch", "query"));
    EXPECT_JSON(json_array_get(M(M(coll, "post"), "parameters"), 0),
                "{'in':'body','name':'body','required':true,'schema':{'$ref':'#/definitions/io.k8s.api.core.v1.Pod'}}");
    assert_int_equal(json_object_size(M(M(coll, "post"), "responses")), 4);
    assert_string_equal(json_string_value(M(M(coll, "delete"), "x-kubernetes-action")), "deletecollection");

    /* one operation: everything at the path level, the body too */
    json_t *binding = M(paths, "/api/v1/namespaces/{namespace}/pods/{name}/binding");
    assert_null(json_object_get(M(binding, "post"), "parameters"));
    assert_true(has_param(M(binding, "parameters"), "body", "body"));
    assert_true(has_param(M(binding, "parameters"), "dryRun", "query"));
    json_t *log = M(M(paths, "/api/v1/namespaces/{namespace}/pods/{name}/log"), "get");
    EXPECT_JSON(M(log, "produces"), "['text/plain']");
    EXPECT_JSON(M(M(log, "responses"), "200"), "{'description':'OK','schema':{'type':'string'}}");
    json_t *scale = M(M(paths, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"), "patch");
    EXPECT_JSON(M(scale, "x-kubernetes-group-version-kind"), "{'group':'autoscaling','kind':'Scale','version':'v1'}");

    /* the discovery paths: the core group's versions, each group, each group-version */
    EXPECT_JSON(M(paths, "/api/"),
                "{'get':{'consumes':['application/json','application/yaml','application/vnd.kubernetes.protobuf'],"
                "'operationId':'getCoreAPIVersions','produces':['application/json','application/yaml',"
                "'application/vnd.kubernetes.protobuf'],'responses':{'200':{'description':'OK','schema':"
                "{'$ref':'#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions'}},"
                "'401':{'description':'Unauthorized'}},'schemes':['https'],'tags':['core']}}");
    assert_string_equal(json_string_value(M(M(M(paths, "/apis/apps/"), "get"), "operationId")), "getAppsAPIGroup");
    EXPECT_JSON(M(M(M(paths, "/apis/networking.k8s.io/"), "get"), "tags"), "['networking']");
    assert_string_equal(json_string_value(M(M(M(paths, "/apis/networking.k8s.io/"), "get"), "operationId")),
                        "getNetworkingAPIGroup");
    assert_string_equal(json_string_value(M(M(M(paths, "/api/v1/"), "get"), "operationId")), "getCoreV1APIResources");
    assert_string_equal(json_string_value(M(M(M(paths, "/apis/apps/v1/"), "get"), "operationId")),
                        "getAppsV1APIResources");
    assert_null(json_object_get(M(paths, "/api/v1/"), "parameters"));
    assert_null(json_object_get(paths, "/apis/"));
    assert_null(json_object_get(paths, "/version/"));
    assert_null(json_object_get(paths, "/api/v1/namespaces/{namespace}/replicationcontrollers"));
    json_decref(doc);
}

static void
test_v2_definitions(void **state)
{
    (void)state;
    json_t *doc = api_openapi_v2_build();
    assert_non_null(doc);
    json_t *defs = M(doc, "definitions");
    int bad = 0;
    check_refs_in(doc, defs, "#/definitions/", "v2", &bad);
    assert_int_equal(bad, 0);
    json_t *props = M(M(defs, "io.k8s.api.core.v1.PodSpec"), "properties");
    EXPECT_JSON(M(props, "containers"),
                "{'type':'array','items':{'$ref':'#/definitions/io.k8s.api.core.v1.Container','default':{}},"
                "'x-kubernetes-list-map-keys':['name'],'x-kubernetes-list-type':'map',"
                "'x-kubernetes-patch-merge-key':'name','x-kubernetes-patch-strategy':'merge'}");
    EXPECT_JSON(M(props, "securityContext"), "{'$ref':'#/definitions/io.k8s.api.core.v1.PodSecurityContext'}");
    EXPECT_JSON(M(props, "overhead"), "{'type':'object','additionalProperties':"
                                      "{'$ref':'#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity'}}");
    /* a property's extensions sit next to its $ref */
    EXPECT_JSON(M(M(M(defs, "io.k8s.api.apps.v1.DeploymentSpec"), "properties"), "strategy"),
                "{'$ref':'#/definitions/io.k8s.api.apps.v1.DeploymentStrategy','x-kubernetes-patch-strategy':"
                "'retainKeys'}");
    EXPECT_JSON(M(M(M(defs, "io.k8s.api.core.v1.PersistentVolumeSpec"), "properties"), "claimRef"),
                "{'$ref':'#/definitions/io.k8s.api.core.v1.ObjectReference','x-kubernetes-map-type':'granular'}");
    /* no oneOf in Swagger 2.0: IntOrString and Quantity are strings, as upstream's v2 */
    EXPECT_JSON(M(defs, "io.k8s.apimachinery.pkg.util.intstr.IntOrString"),
                "{'format':'int-or-string','type':'string'}");
    EXPECT_JSON(M(defs, "io.k8s.apimachinery.pkg.api.resource.Quantity"), "{'type':'string'}");
    EXPECT_JSON(M(defs, "io.k8s.apimachinery.pkg.apis.meta.v1.Time"), "{'type':'string','format':'date-time'}");
    EXPECT_JSON(json_object_get(M(defs, "io.k8s.api.apps.v1.Deployment"), "x-kubernetes-group-version-kind"),
                "[{'group':'apps','kind':'Deployment','version':'v1'}]");
    assert_non_null(json_object_get(M(defs, "io.k8s.api.core.v1.SeccompProfile"), "x-kubernetes-unions"));
    EXPECT_JSON(M(M(M(defs, "io.k8s.api.core.v1.ContainerPort"), "properties"), "protocol"),
                "{'type':'string','default':'TCP'}");
    assert_null(json_object_get(defs, "io.k8s.api.core.v1.ReplicationController"));

    /* every served group-version's v3 document: its paths (same operation ids) and schemas are here too */
    const struct api_resource *r;
    int gvs = 0;
    for (size_t n = 0; (r = api_served_at(n)); n++) {
        json_t *v3 = api_openapi_build(r->group, r->version);
        assert_non_null(v3);
        const char *path, *name, *m;
        json_t *item, *sch, *op;
        json_object_foreach(M(v3, "paths"), path, item)
        {
            json_t *item2 = json_object_get(M(doc, "paths"), path);
            if (!item2) {
                print_error("v2 lacks %s\n", path);
                fail();
            }
            json_object_foreach(item, m, op)
            {
                if (strcmp(m, "parameters") != 0)
                    assert_string_equal(json_string_value(M(op, "operationId")),
                                        json_string_value(M(M(item2, m), "operationId")));
            }
        }
        json_object_foreach(M(M(v3, "components"), "schemas"), name, sch)
        {
            json_t *d = json_object_get(defs, name);
            if (!d) {
                print_error("v2 lacks definition %s\n", name);
                fail();
            }
            /* the same properties and required fields */
            assert_int_equal(json_object_size(json_object_get(d, "properties")),
                             json_object_size(json_object_get(sch, "properties")));
            json_t *rq = json_object_get(d, "required"), *rq3 = json_object_get(sch, "required");
            assert_true(rq == rq3 || json_equal(rq, rq3)); /* both absent, or equal */
        }
        json_decref(v3);
        gvs++;
    }
    assert_true(gvs > 20);
    json_decref(doc);
}

/* Reads the length-delimited field at p[*i] (a Document holds nothing else at its top and in Paths and
 * Definitions): its number and bytes; advances *i. */
static void
next_field(const unsigned char *p, size_t n, size_t *i, unsigned *num, const unsigned char **val, size_t *len)
{
    uint64_t k = 0, l = 0;
    for (int sh = 0;; sh += 7) {
        assert_true(*i < n);
        k |= (uint64_t)(p[*i] & 0x7f) << sh;
        if (!(p[(*i)++] & 0x80))
            break;
    }
    assert_int_equal(k & 7, 2);
    for (int sh = 0;; sh += 7) {
        assert_true(*i < n);
        l |= (uint64_t)(p[*i] & 0x7f) << sh;
        if (!(p[(*i)++] & 0x80))
            break;
    }
    assert_true(l <= n - *i);
    *num = (unsigned)(k >> 3);
    *val = p + *i;
    *len = (size_t)l;
    *i += (size_t)l;
}

/* How often each field number (below 64) occurs in the message p[0..n). */
static void
count_fields(const unsigned char *p, size_t n, int counts[64])
{
    memset(counts, 0, 64 * sizeof(int));
    for (size_t i = 0; i < n;) {
        unsigned num;
        const unsigned char *v;
        size_t len;
        next_field(p, n, &i, &num, &v, &len);
        if (num < 64)
            counts[num]++;
    }
}

static void
test_v2_served(void **state)
{
    (void)state;
    struct api_openapi_v2 *o = NULL;
    assert_int_equal(api_openapi_v2_new(&o), 0);
    size_t jlen, plen;
    const char *hash, *hash2;
    const char *text = api_openapi_v2_get(o, false, &jlen, &hash);
    const unsigned char *pb = api_openapi_v2_get(o, true, &plen, &hash2);
    assert_ptr_equal(hash, hash2);
    assert_true(is_hash(hash));
    /* the hash is the JSON text's SHA-512, and the text is the built document */
    unsigned char d[SHA512_DIGEST_LENGTH];
    char hex[API_OPENAPI_HASH_LEN + 1];
    SHA512((const unsigned char *)text, jlen, d);
    for (int i = 0; i < SHA512_DIGEST_LENGTH; i++)
        snprintf(hex + 2 * i, 3, "%02X", d[i]);
    assert_string_equal(hash, hex);
    json_t *parsed, *built = api_openapi_v2_build();
    char err[200];
    assert_int_equal(kc_json_parse(text, jlen, &parsed, err, sizeof(err)), 0);
    assert_true(kc_json_equal(parsed, built));
    /* the protobuf: swagger first (field 1), then info, paths, definitions, security, securityDefinitions */
    assert_true(plen > 100000 && plen < jlen);
    assert_memory_equal(pb,
                        "\x0a\x03"
                        "2.0",
                        5);
    int top[64];
    count_fields(pb, plen, top);
    assert_int_equal(top[1], 1);
    assert_int_equal(top[2], 1);
    assert_int_equal(top[8], 1);
    assert_int_equal(top[9], 1);
    assert_int_equal(top[12], 1);
    assert_int_equal(top[13], 1);
    /* as many path and definition entries as the JSON has */
    int checked = 0;
    for (size_t i = 0; i < plen;) {
        unsigned num;
        const unsigned char *v;
        size_t len;
        int inner[64];
        next_field(pb, plen, &i, &num, &v, &len);
        if (num == 8) { /* Paths: 2 path */
            count_fields(v, len, inner);
            assert_int_equal(inner[2], json_object_size(M(built, "paths")));
            checked++;
        } else if (num == 9) { /* Definitions: 1 additional_properties */
            count_fields(v, len, inner);
            assert_int_equal(inner[1], json_object_size(M(built, "definitions")));
            checked++;
        }
    }
    assert_int_equal(checked, 2);
    json_decref(parsed);
    json_decref(built);
    /* the same bytes on every build */
    struct api_openapi_v2 *o2 = NULL;
    assert_int_equal(api_openapi_v2_new(&o2), 0);
    size_t plen2;
    const void *pb2 = api_openapi_v2_get(o2, true, &plen2, NULL);
    assert_int_equal(plen2, plen);
    assert_memory_equal(pb2, pb, plen);
    api_openapi_v2_free(o);
    api_openapi_v2_free(o2);
    api_openapi_v2_free(NULL);
}

static void
test_v2_allocation_failure(void **state)
{
    (void)state;
    json_set_alloc_funcs(failing_malloc, free);
    fail_at = 1 << 30; /* count the calls of one build */
    calls = 0;
    json_t *doc = api_openapi_v2_build();
    assert_non_null(doc);
    json_decref(doc);
    long total = calls;
    assert_true(total > 10000);
    int points = 0, failed = 0;
    for (long at = 0; at < total; at += total / 150 + 1) {
        fail_at = at;
        calls = 0;
        doc = api_openapi_v2_build();
        points++;
        if (!doc)
            failed++;
        else
            print_error("allocation %ld of %ld failed but the v2 build succeeded\n", at, total);
        json_decref(doc);
    }
    assert_int_equal(failed, points);
    /* the served set (build, dump, encode): an error or a complete result */
    for (long at = 0; at < total * 3; at += total / 4) {
        struct api_openapi_v2 *o = NULL;
        fail_at = at;
        calls = 0;
        int rc = api_openapi_v2_new(&o);
        fail_at = -1;
        if (rc == 0) {
            size_t len;
            assert_non_null(api_openapi_v2_get(o, true, &len, NULL));
            api_openapi_v2_free(o);
        } else {
            assert_int_equal(rc, -ENOMEM);
            assert_null(o);
        }
    }
    fail_at = -1;
    json_set_alloc_funcs(malloc, free);
    /* kc_malloc and friends: the bitmap, the protobuf buffer and its key lists */
    int injected = 0;
    for (long nth = 1; nth < 5000; nth = nth < 8 ? nth + 1 : nth * 3 / 2) {
        struct api_openapi_v2 *o = NULL;
        kc_fault_arm(KC_FAULT_ALLOC, nth, 0, false);
        int rc = api_openapi_v2_new(&o);
        long n = kc_fault_injected(KC_FAULT_ALLOC);
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (n) {
            injected++;
            if (rc != -ENOMEM || o) {
                print_error("allocation %ld failed, api_openapi_v2_new gave %d\n", nth, rc);
                fail();
            }
        } else {
            assert_int_equal(rc, 0);
            api_openapi_v2_free(o);
        }
    }
    assert_true(injected >= 10);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_pod_paths),
        cmocka_unit_test(test_group_paths),
        cmocka_unit_test(test_schemas),
        cmocka_unit_test(test_every_document),
        cmocka_unit_test(test_unserved),
        cmocka_unit_test(test_index_and_hashes),
        cmocka_unit_test(test_allocation_failure),
        cmocka_unit_test(test_kc_allocation_failure),
        cmocka_unit_test(test_v2_paths),
        cmocka_unit_test(test_v2_definitions),
        cmocka_unit_test(test_v2_served),
        cmocka_unit_test(test_v2_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
