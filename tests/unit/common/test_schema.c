/* test_schema.c - the generated Kubernetes 1.33 schema tables and their lookups: the merge keys, list types,
 * defaults, required fields and types that patch, apply, validation and explain rely on; path walks; and, when the
 * OpenAPI documents are at hand, a full cross-check of the tables against them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kc_error.h"
#include "kc_json.h"
#include "kc_schema.h"

#define CORE "io.k8s.api.core.v1."
#define META "io.k8s.apimachinery.pkg.apis.meta.v1."

/* Counts the 1.33 documents give (independently checked by test_against_documents when they are present). */
#define NAMED_SCHEMAS 432
#define DOCS          18
#define GV_DOCS       15
#define GVKS_ALL      226 /* including APIVersions and APIGroup of the index documents */
#define GVKS_GV_DOCS  224 /* in the 15 group-version documents */

static const struct kc_schema *
must_find(const char *name)
{
    const struct kc_schema *s = kc_schema_find(name);

    if (!s)
        fail_msg("schema %s not found", name);
    assert_string_equal(s->name, name);
    return s;
}

static const struct kc_schema_prop *
must_prop(const char *schema, const char *prop)
{
    const struct kc_schema_prop *p = kc_schema_prop_find(must_find(schema), prop);

    if (!p)
        fail_msg("property %s.%s not found", schema, prop);
    assert_string_equal(p->name, prop);
    return p;
}

/* Asserts the list semantics of a property: merge key (or NULL), patch strategy text (or NULL), list type and the
 * list-map keys (a NULL-terminated list, or NULL for none). */
static void
check_list(const char *schema, const char *prop, const char *merge_key, const char *strategy,
           enum kc_schema_list_type list_type, const char *const *keys)
{
    const struct kc_schema_prop *p = must_prop(schema, prop);
    size_t n = 0;

    if (merge_key) {
        if (!p->merge_key)
            fail_msg("%s.%s: no merge key, expected %s", schema, prop, merge_key);
        assert_string_equal(p->merge_key, merge_key);
    } else if (p->merge_key) {
        fail_msg("%s.%s: merge key %s, expected none", schema, prop, p->merge_key);
    }
    if (strategy) {
        const char *got = kc_schema_patch_strategy_str(p->patch_strategy);
        if (!got)
            fail_msg("%s.%s: no patch strategy, expected %s", schema, prop, strategy);
        assert_string_equal(got, strategy);
    } else {
        assert_int_equal(p->patch_strategy, 0);
    }
    assert_int_equal(p->list_type, list_type);
    while (keys && keys[n])
        n++;
    assert_int_equal(p->nlist_map_keys, n);
    if (n == 0)
        assert_null(p->list_map_keys);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(p->list_map_keys[i], keys[i]);
}

#define KEYS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void
test_merge_keys(void **state)
{
    (void)state;
    check_list(CORE "PodSpec", "containers", "name", "merge", KC_SCHEMA_LIST_MAP, KEYS("name"));
    check_list(CORE "PodSpec", "initContainers", "name", "merge", KC_SCHEMA_LIST_MAP, KEYS("name"));
    check_list(CORE "PodSpec", "ephemeralContainers", "name", "merge", KC_SCHEMA_LIST_MAP, KEYS("name"));
    check_list(CORE "PodSpec", "imagePullSecrets", "name", "merge", KC_SCHEMA_LIST_MAP, KEYS("name"));
    /* the patch merge key and the server-side-apply keys differ for container and service ports */
    check_list(CORE "Container", "ports", "containerPort", "merge", KC_SCHEMA_LIST_MAP,
               KEYS("containerPort", "protocol"));
    check_list(CORE "ServiceSpec", "ports", "port", "merge", KC_SCHEMA_LIST_MAP, KEYS("port", "protocol"));
    check_list(CORE "PodSpec", "volumes", "name", "merge,retainKeys", KC_SCHEMA_LIST_MAP, KEYS("name"));
    assert_int_equal(must_prop(CORE "PodSpec", "volumes")->patch_strategy,
                     KC_SCHEMA_PATCH_MERGE | KC_SCHEMA_PATCH_RETAIN_KEYS);
    check_list(CORE "Container", "volumeMounts", "mountPath", "merge", KC_SCHEMA_LIST_MAP, KEYS("mountPath"));
    check_list(CORE "Container", "env", "name", "merge", KC_SCHEMA_LIST_MAP, KEYS("name"));
    /* 1.33 declares tolerations atomic with no patch key (+listType=atomic): strategic merge replaces the list */
    check_list(CORE "PodSpec", "tolerations", NULL, NULL, KC_SCHEMA_LIST_ATOMIC, NULL);
    check_list(META "ObjectMeta", "ownerReferences", "uid", "merge", KC_SCHEMA_LIST_MAP, KEYS("uid"));
    check_list(META "ObjectMeta", "finalizers", NULL, "merge", KC_SCHEMA_LIST_SET, NULL);
    check_list(CORE "Container", "command", NULL, NULL, KC_SCHEMA_LIST_ATOMIC, NULL);
    check_list(CORE "Container", "args", NULL, NULL, KC_SCHEMA_LIST_ATOMIC, NULL);
    check_list("io.k8s.api.networking.v1.IngressSpec", "rules", NULL, NULL, KC_SCHEMA_LIST_ATOMIC, NULL);
    check_list(CORE "PodStatus", "conditions", "type", "merge", KC_SCHEMA_LIST_MAP, KEYS("type"));
    /* lists whose SSA list type (atomic) disagrees with their patch strategy (merge by key) */
    check_list("io.k8s.api.batch.v1.JobStatus", "conditions", "type", "merge", KC_SCHEMA_LIST_ATOMIC, NULL);
    check_list(CORE "PodStatus", "hostIPs", "ip", "merge", KC_SCHEMA_LIST_ATOMIC, NULL);
    check_list(CORE "PodSpec", "topologySpreadConstraints", "topologyKey", "merge", KC_SCHEMA_LIST_MAP,
               KEYS("topologyKey", "whenUnsatisfiable"));
    /* patch strategies on non-lists */
    assert_int_equal(must_prop("io.k8s.api.apps.v1.DeploymentSpec", "strategy")->patch_strategy,
                     KC_SCHEMA_PATCH_RETAIN_KEYS);
    assert_string_equal(kc_schema_patch_strategy_str(
                            must_prop("io.k8s.api.policy.v1.PodDisruptionBudgetSpec", "selector")->patch_strategy),
                        "replace");
    /* a list without any annotation */
    check_list(CORE "PodSpec", "readinessGates", NULL, NULL, KC_SCHEMA_LIST_ATOMIC, NULL);
}

static void
test_map_types(void **state)
{
    (void)state;
    assert_int_equal(must_find(CORE "ObjectReference")->map_type, KC_SCHEMA_MAPTYPE_ATOMIC);
    assert_int_equal(must_find(META "LabelSelector")->map_type, KC_SCHEMA_MAPTYPE_ATOMIC);
    assert_int_equal(must_find(CORE "PodSpec")->map_type, KC_SCHEMA_MAPTYPE_NONE);
    /* claimRef is an ObjectReference (atomic), but the property says granular */
    const struct kc_schema_prop *claim = must_prop(CORE "PersistentVolumeSpec", "claimRef");
    assert_int_equal(claim->map_type, KC_SCHEMA_MAPTYPE_GRANULAR);
    assert_int_equal(kc_schema_prop_map_type(claim), KC_SCHEMA_MAPTYPE_GRANULAR);
    /* the effective map type falls back to the schema's */
    assert_int_equal(kc_schema_prop_map_type(must_prop("io.k8s.api.apps.v1.DeploymentSpec", "selector")),
                     KC_SCHEMA_MAPTYPE_ATOMIC);
    assert_int_equal(kc_schema_prop_map_type(must_prop(CORE "PodSpec", "nodeSelector")), KC_SCHEMA_MAPTYPE_ATOMIC);
    assert_int_equal(kc_schema_prop_map_type(must_prop(META "ObjectMeta", "labels")), KC_SCHEMA_MAPTYPE_NONE);
    assert_int_equal(kc_schema_prop_map_type(NULL), KC_SCHEMA_MAPTYPE_NONE);
    /* unions */
    const struct kc_schema *sp = must_find(CORE "SeccompProfile");
    assert_int_equal(sp->nunions, 1);
    assert_string_equal(sp->unions[0].discriminator, "type");
    assert_int_equal(sp->unions[0].nfields, 1);
    assert_string_equal(sp->unions[0].fields[0].field, "localhostProfile");
    assert_string_equal(sp->unions[0].fields[0].value, "LocalhostProfile");
    assert_int_equal(must_find(CORE "PodSpec")->nunions, 0);
    assert_null(must_find(CORE "PodSpec")->unions);
}

static void
test_defaults(void **state)
{
    (void)state;
    const struct kc_schema_prop *p = must_prop(CORE "ContainerPort", "protocol");
    assert_non_null(p->default_json);
    assert_string_equal(p->default_json, "\"TCP\"");
    p = must_prop(CORE "ServicePort", "protocol");
    assert_non_null(p->default_json);
    assert_string_equal(p->default_json, "\"TCP\"");
    p = must_prop(CORE "ReplicationControllerSpec", "replicas");
    assert_non_null(p->default_json);
    assert_string_equal(p->default_json, "1");
    p = must_prop(CORE "RBDVolumeSource", "keyring");
    assert_non_null(p->default_json);
    assert_string_equal(p->default_json, "\"/etc/ceph/keyring\"");
    /* zero-value restatements ("default": "" / 0 / false / {}) are dropped */
    assert_null(must_prop(CORE "ContainerPort", "containerPort")->default_json); /* 0 */
    assert_null(must_prop(CORE "Container", "name")->default_json);              /* "" */
    assert_null(must_prop(CORE "PodTemplateSpec", "spec")->default_json);        /* {} */
    assert_null(must_prop(CORE "Pod", "metadata")->default_json);                /* {} */
    assert_null(must_prop("io.k8s.api.apps.v1.DeploymentSpec", "replicas")->default_json);
    assert_null(must_prop(CORE "PodSpec", "restartPolicy")->default_json); /* defaulted in code, not the spec */

    size_t n = 0;
    for (size_t i = 0; i < kc_schema_named_count(); i++) {
        const struct kc_schema *s = kc_schema_at(i);
        for (size_t j = 0; j < s->nprops; j++) {
            const char *d = s->props[j].default_json;
            if (!d)
                continue;
            n++;
            if (!strcmp(d, "\"\"") || !strcmp(d, "0") || !strcmp(d, "false") || !strcmp(d, "{}") || !strcmp(d, "[]"))
                fail_msg("%s.%s keeps the zero default %s", s->name, s->props[j].name, d);
        }
    }
    assert_int_equal(n, 18);
}

static void
test_gvk_lookup(void **state)
{
    (void)state;
    const struct kc_schema *s = kc_schema_find_gvk("apps", "v1", "Deployment");
    assert_non_null(s);
    assert_string_equal(s->name, "io.k8s.api.apps.v1.Deployment");
    assert_int_equal(s->ngvks, 1);
    assert_string_equal(s->gvks[0].group, "apps");
    assert_string_equal(s->gvks[0].version, "v1");
    assert_string_equal(s->gvks[0].kind, "Deployment");
    assert_ptr_equal(s->gvks[0].schema, s);

    s = kc_schema_find_gvk("", "v1", "Pod");
    assert_non_null(s);
    assert_string_equal(s->name, CORE "Pod");
    s = kc_schema_find_gvk("autoscaling", "v1", "Scale");
    assert_non_null(s);
    assert_string_equal(s->name, "io.k8s.api.autoscaling.v1.Scale");
    assert_null(kc_schema_find_gvk("apps", "v1", "Scale")); /* deployments/scale is autoscaling/v1 Scale */
    s = kc_schema_find_gvk("autoscaling", "v2", "HorizontalPodAutoscaler");
    assert_non_null(s);
    assert_string_equal(s->name, "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler");
    s = kc_schema_find_gvk("events.k8s.io", "v1", "Event");
    assert_non_null(s);
    assert_string_equal(s->name, "io.k8s.api.events.v1.Event");
    s = kc_schema_find_gvk("", "v1", "Event");
    assert_non_null(s);
    assert_string_equal(s->name, CORE "Event");
    /* meta kinds are listed under every group */
    s = kc_schema_find_gvk("apps", "v1", "DeleteOptions");
    assert_non_null(s);
    assert_string_equal(s->name, META "DeleteOptions");
    assert_ptr_equal(kc_schema_find_gvk("", "v1", "DeleteOptions"), s);
    assert_int_equal(s->ngvks, 62);
    assert_ptr_equal(kc_schema_find_gvk("", "v1", "Status"), must_find(META "Status"));
    assert_ptr_equal(kc_schema_find_gvk("", "v1", "APIResourceList"), must_find(META "APIResourceList"));
    assert_ptr_equal(kc_schema_find_gvk("", "v1", "APIGroup"), must_find(META "APIGroup"));
    assert_ptr_equal(kc_schema_find_gvk("", "v1", "APIVersions"), must_find(META "APIVersions"));

    /* unknown or wrongly spelled */
    assert_null(kc_schema_find_gvk("apps", "v1", "deployment"));
    assert_null(kc_schema_find_gvk("apps", "v2", "Deployment"));
    assert_null(kc_schema_find_gvk("", "v1", "Deployment"));
    assert_null(kc_schema_find_gvk("extensions", "v1beta1", "Deployment"));
    assert_null(kc_schema_find_gvk("apps", "v1", ""));
    assert_null(kc_schema_find_gvk(NULL, "v1", "Pod"));
    assert_null(kc_schema_find_gvk("", NULL, "Pod"));
    assert_null(kc_schema_find_gvk("", "v1", NULL));
}

static void
test_required(void **state)
{
    (void)state;
    const struct kc_schema *ps = must_find(CORE "PodSpec");
    assert_int_equal(ps->nrequired, 1);
    assert_string_equal(ps->required[0], "containers");
    assert_true(kc_schema_prop_required(kc_schema_prop_find(ps, "containers")));
    assert_false(kc_schema_prop_required(kc_schema_prop_find(ps, "volumes")));
    const struct kc_schema *c = must_find(CORE "Container");
    assert_int_equal(c->nrequired, 1);
    assert_string_equal(c->required[0], "name");
    assert_true(kc_schema_prop_required(kc_schema_prop_find(c, "name")));
    assert_false(kc_schema_prop_required(kc_schema_prop_find(c, "image")));
    assert_true(kc_schema_prop_required(must_prop(CORE "ContainerPort", "containerPort")));
    /* spec order, not sorted */
    const struct kc_schema *pc = must_find(CORE "PodCondition");
    assert_int_equal(pc->nrequired, 2);
    assert_string_equal(pc->required[0], "type");
    assert_string_equal(pc->required[1], "status");
    assert_int_equal(must_find(META "ObjectMeta")->nrequired, 0);
    assert_null(must_find(META "ObjectMeta")->required);
    assert_false(kc_schema_prop_required(NULL));
}

static void
test_types(void **state)
{
    (void)state;
    const struct kc_schema_prop *p = must_prop(META "ObjectMeta", "creationTimestamp");
    assert_ptr_equal(p->schema, must_find(META "Time"));
    assert_int_equal(p->schema->type, KC_SCHEMA_TIME);
    assert_int_equal(p->schema->oa_type, KC_SCHEMA_OA_STRING);
    assert_int_equal(p->schema->format, KC_SCHEMA_FMT_DATE_TIME);
    assert_int_equal(must_prop("io.k8s.api.events.v1.Event", "eventTime")->schema->type, KC_SCHEMA_MICROTIME);

    p = must_prop(CORE "ResourceRequirements", "limits");
    assert_int_equal(p->schema->type, KC_SCHEMA_MAP);
    assert_null(p->schema->name);
    assert_ptr_equal(p->schema->elem, must_find("io.k8s.apimachinery.pkg.api.resource.Quantity"));
    assert_int_equal(p->schema->elem->type, KC_SCHEMA_QUANTITY);
    assert_int_equal(p->schema->elem->oa_type, KC_SCHEMA_OA_NONE);

    p = must_prop(CORE "ContainerPort", "containerPort");
    assert_int_equal(p->schema->type, KC_SCHEMA_INTEGER);
    assert_int_equal(p->schema->format, KC_SCHEMA_FMT_INT32);
    assert_int_equal(must_prop(CORE "PodSpec", "activeDeadlineSeconds")->schema->format, KC_SCHEMA_FMT_INT64);

    p = must_prop(CORE "ServicePort", "targetPort");
    assert_ptr_equal(p->schema, must_find("io.k8s.apimachinery.pkg.util.intstr.IntOrString"));
    assert_int_equal(p->schema->type, KC_SCHEMA_INT_OR_STRING);
    assert_int_equal(p->schema->format, KC_SCHEMA_FMT_INT_OR_STRING);

    p = must_prop(CORE "PodSpec", "containers");
    assert_int_equal(p->schema->type, KC_SCHEMA_ARRAY);
    assert_int_equal(p->schema->oa_type, KC_SCHEMA_OA_ARRAY);
    assert_ptr_equal(p->schema->elem, must_find(CORE "Container"));
    assert_int_equal(p->schema->elem->type, KC_SCHEMA_OBJECT);
    /* anonymous schemas are shared by properties of the same shape */
    assert_ptr_equal(must_prop(CORE "PodSpec", "initContainers")->schema, p->schema);

    p = must_prop(META "ObjectMeta", "labels");
    assert_int_equal(p->schema->type, KC_SCHEMA_MAP);
    assert_int_equal(p->schema->elem->type, KC_SCHEMA_STRING);
    p = must_prop(CORE "Secret", "data");
    assert_int_equal(p->schema->type, KC_SCHEMA_MAP);
    assert_int_equal(p->schema->elem->type, KC_SCHEMA_BYTES);
    assert_int_equal(p->schema->elem->format, KC_SCHEMA_FMT_BYTE);
    assert_int_equal(must_prop(CORE "PodSpec", "hostNetwork")->schema->type, KC_SCHEMA_BOOLEAN);
    assert_int_equal(must_prop(CORE "Container", "command")->schema->elem->type, KC_SCHEMA_STRING);
    /* map of []string */
    p = must_prop("io.k8s.api.authentication.v1.UserInfo", "extra");
    assert_int_equal(p->schema->type, KC_SCHEMA_MAP);
    assert_int_equal(p->schema->elem->type, KC_SCHEMA_ARRAY);
    assert_int_equal(p->schema->elem->elem->type, KC_SCHEMA_STRING);

    /* free-form objects */
    const struct kc_schema *raw = must_find("io.k8s.apimachinery.pkg.runtime.RawExtension");
    assert_int_equal(raw->type, KC_SCHEMA_ANY);
    assert_int_equal(raw->oa_type, KC_SCHEMA_OA_OBJECT);
    assert_int_equal(raw->nprops, 0);
    assert_null(raw->props);
    assert_int_equal(must_find(META "FieldsV1")->type, KC_SCHEMA_ANY);
    assert_int_equal(must_find(META "Patch")->type, KC_SCHEMA_ANY);
    assert_ptr_equal(must_prop("io.k8s.api.apps.v1.ControllerRevision", "data")->schema, raw);

    assert_string_equal(kc_schema_short_name(must_find(CORE "PodSpec")), "PodSpec");
    assert_null(kc_schema_short_name(must_prop(CORE "PodSpec", "containers")->schema));
    assert_null(kc_schema_short_name(NULL));
}

static void
test_walk(void **state)
{
    (void)state;
    const struct kc_schema *deploy = kc_schema_find_gvk("apps", "v1", "Deployment");
    const struct kc_schema *s = NULL;
    const struct kc_schema_prop *p = NULL;

    assert_non_null(deploy);
    assert_int_equal(kc_schema_walk(deploy, "spec.template.spec.containers", &s, &p), 0);
    assert_ptr_equal(p, must_prop(CORE "PodSpec", "containers"));
    assert_int_equal(s->type, KC_SCHEMA_ARRAY);
    assert_string_equal(p->merge_key, "name");

    assert_int_equal(kc_schema_walk(deploy, "spec.template.spec.containers[]", &s, &p), 0);
    assert_ptr_equal(s, must_find(CORE "Container"));
    assert_ptr_equal(p, must_prop(CORE "PodSpec", "containers"));

    /* implicit and explicit steps into list items are the same */
    assert_int_equal(kc_schema_walk(deploy, "spec.template.spec.containers[].ports", &s, &p), 0);
    assert_ptr_equal(p, must_prop(CORE "Container", "ports"));
    assert_int_equal(kc_schema_walk(deploy, "spec.template.spec.containers.ports", &s, &p), 0);
    assert_ptr_equal(p, must_prop(CORE "Container", "ports"));
    assert_string_equal(p->merge_key, "containerPort");
    assert_int_equal(kc_schema_walk(deploy, "spec.template.spec.containers.ports[]", &s, &p), 0);
    assert_ptr_equal(s, must_find(CORE "ContainerPort"));
    assert_int_equal(kc_schema_walk(deploy, "spec.template.spec.containers.ports.protocol", &s, &p), 0);
    assert_string_equal(p->default_json, "\"TCP\"");

    /* Pod and Service from their GVKs */
    assert_int_equal(kc_schema_walk_gvk("", "v1", "Pod", "spec.containers[].ports", &s, &p), 0);
    assert_ptr_equal(p, must_prop(CORE "Container", "ports"));
    assert_int_equal(kc_schema_walk_gvk("", "v1", "Service", "spec.ports", &s, &p), 0);
    assert_string_equal(p->merge_key, "port");
    assert_int_equal(kc_schema_walk_gvk("", "v1", "Pod", "metadata.ownerReferences", &s, &p), 0);
    assert_string_equal(p->merge_key, "uid");
    assert_int_equal(
        kc_schema_walk_gvk("batch", "v1", "CronJob", "spec.jobTemplate.spec.template.spec.volumes", &s, &p), 0);
    assert_int_equal(p->patch_strategy, KC_SCHEMA_PATCH_MERGE | KC_SCHEMA_PATCH_RETAIN_KEYS);
    assert_int_equal(kc_schema_walk_gvk("networking.k8s.io", "v1", "Ingress", "spec.rules", &s, &p), 0);
    assert_null(p->merge_key);

    /* maps: "[]" steps into the values */
    assert_int_equal(kc_schema_walk(deploy, "spec.template.spec.containers.resources.limits[]", &s, &p), 0);
    assert_int_equal(s->type, KC_SCHEMA_QUANTITY);
    assert_ptr_equal(p, must_prop(CORE "ResourceRequirements", "limits"));
    assert_int_equal(kc_schema_walk(deploy, "metadata.labels[]", &s, &p), 0);
    assert_int_equal(s->type, KC_SCHEMA_STRING);

    /* the empty path is the root */
    p = must_prop(CORE "Pod", "spec");
    assert_int_equal(kc_schema_walk(deploy, "", &s, &p), 0);
    assert_ptr_equal(s, deploy);
    assert_null(p);
    /* out-parameters are optional */
    assert_int_equal(kc_schema_walk(deploy, "spec.replicas", NULL, NULL), 0);
    assert_int_equal(kc_schema_walk(deploy, "spec.replicas", &s, NULL), 0);
    assert_int_equal(s->type, KC_SCHEMA_INTEGER);
}

static void
test_walk_errors(void **state)
{
    (void)state;
    const struct kc_schema *deploy = kc_schema_find_gvk("apps", "v1", "Deployment");
    const struct kc_schema *s = deploy;
    const struct kc_schema_prop *p = must_prop(CORE "Pod", "spec");
    const struct kc_schema_prop *p0 = p;

    static const char *const not_found[] = {
        "spek",
        "spec.nope",
        "spec.template.spec.containers.nope",
        "spec.replicas.x",
        "spec.replicas[]",
        "spec.template.spec.containers[][]",
        "metadata.labels.app",
        "status.conditions.type.x",
        "spec.Replicas", /* case-sensitive */
    };
    for (size_t i = 0; i < sizeof(not_found) / sizeof(not_found[0]); i++) {
        int rc = kc_schema_walk(deploy, not_found[i], &s, &p);
        if (rc != KC_ENOTFOUND)
            fail_msg("walk %s: %d (%s), expected KC_ENOTFOUND", not_found[i], rc, kc_strerror(rc));
        assert_ptr_equal(s, deploy); /* untouched on failure */
        assert_ptr_equal(p, p0);
    }
    static const char *const invalid[] = {
        ".spec", "spec.",   "spec..replicas", "[]", "spec.[]",          "spec[",      "spec[x]",
        "spec]", "spec[]x", "spec[].",        ".",  "spec.template[]]", "spec.nope[", /* syntax is checked before lookup
                                                                                       */
    };
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        int rc = kc_schema_walk(deploy, invalid[i], &s, &p);
        if (rc != KC_EINVALID)
            fail_msg("walk %s: %d (%s), expected KC_EINVALID", invalid[i], rc, kc_strerror(rc));
        assert_ptr_equal(s, deploy);
        assert_ptr_equal(p, p0);
    }
    assert_int_equal(kc_schema_walk(NULL, "spec", &s, &p), KC_EINVALID);
    assert_int_equal(kc_schema_walk(deploy, NULL, &s, &p), KC_EINVALID);
    assert_int_equal(kc_schema_walk_gvk("apps", "v1", "Nope", "spec", &s, &p), KC_ENOTFOUND);
    assert_int_equal(kc_schema_walk_gvk("apps", "v1", "Deployment", "spec.nope", &s, &p), KC_ENOTFOUND);
    assert_int_equal(kc_schema_walk_gvk(NULL, "v1", "Deployment", "spec", &s, &p), KC_EINVALID);
    assert_int_equal(kc_schema_walk_gvk("apps", "v1", "Deployment", NULL, &s, &p), KC_EINVALID);
    assert_ptr_equal(s, deploy);
    assert_ptr_equal(p, p0);
}

static void
test_unknown_names(void **state)
{
    (void)state;
    assert_null(kc_schema_find("io.k8s.api.core.v1.Nope"));
    assert_null(kc_schema_find("PodSpec"));
    assert_null(kc_schema_find(""));
    assert_null(kc_schema_find("io.k8s.api.core.v1.PodSpe"));
    assert_null(kc_schema_find("io.k8s.api.core.v1.PodSpecs"));
    assert_null(kc_schema_find("zzz"));
    assert_null(kc_schema_find(NULL));
    const struct kc_schema *ps = must_find(CORE "PodSpec");
    assert_null(kc_schema_prop_find(ps, "nope"));
    assert_null(kc_schema_prop_find(ps, ""));
    assert_null(kc_schema_prop_find(ps, "Containers"));
    assert_null(kc_schema_prop_find(ps, "container"));
    assert_null(kc_schema_prop_find(ps, NULL));
    assert_null(kc_schema_prop_find(NULL, "containers"));
    /* only objects have properties */
    assert_null(kc_schema_prop_find(must_prop(CORE "PodSpec", "containers")->schema, "name"));
    assert_null(kc_schema_prop_find(must_find(META "Time"), "x"));
    /* the _n form reads only len bytes */
    assert_ptr_equal(kc_schema_prop_findn(ps, "containersXYZ", 10), kc_schema_prop_find(ps, "containers"));
    assert_null(kc_schema_prop_findn(ps, "containers", 9));
    assert_null(kc_schema_prop_findn(ps, "containers", 0));
    assert_null(kc_schema_prop_findn(ps, "containers\0", 11)); /* a NUL inside matches nothing */
    /* every property of every schema is found by all three forms, and a name one byte longer or shorter is not
     * (unless the schema has that one too); find_from from its own place finds it, from the place after it not */
    for (size_t i = 0; i < kc_schema_count(); i++) {
        const struct kc_schema *sc = kc_schema_at(i);
        if (sc->type != KC_SCHEMA_OBJECT)
            continue;
        for (size_t j = 0; j < sc->nprops; j++) {
            const char *name = sc->props[j].name;
            size_t len = strlen(name), at = j, after = j + 1;
            assert_true(len < KC_SCHEMA_PROP_NAME_MAX);
            char longer[512];
            snprintf(longer, sizeof(longer), "%s~", name);
            assert_ptr_equal(kc_schema_prop_find(sc, name), &sc->props[j]);
            assert_ptr_equal(kc_schema_prop_findn(sc, longer, len), &sc->props[j]);
            assert_ptr_equal(kc_schema_prop_find_from(sc, name, &at), &sc->props[j]);
            assert_int_equal(at, j + 1);
            assert_null(kc_schema_prop_find_from(sc, name, &after));
            const struct kc_schema_prop *l = kc_schema_prop_find(sc, longer);
            assert_true(!l || strcmp(l->name, longer) == 0);
            const struct kc_schema_prop *sh = len ? kc_schema_prop_findn(sc, name, len - 1) : NULL;
            assert_true(!sh || (strlen(sh->name) == len - 1 && strncmp(sh->name, name, len - 1) == 0));
        }
    }
    assert_null(kc_schema_at(kc_schema_count()));
    assert_null(kc_schema_gvk_at(kc_schema_gvk_count()));
    assert_null(kc_schema_doc_at(kc_schema_doc_count()));
    assert_null(kc_schema_doc_find("apis/apps/v2"));
    assert_null(kc_schema_doc_find("/openapi/v3/api/v1"));
    assert_null(kc_schema_doc_find(NULL));
    assert_int_equal(kc_schema_index(NULL), -1);
    assert_int_equal(kc_schema_index((const struct kc_schema *)&ps->name), kc_schema_index(ps)); /* first member */
    assert_int_equal(kc_schema_index((const struct kc_schema *)((const char *)ps + 1)), -1);
    struct kc_schema other = { 0 };
    assert_int_equal(kc_schema_index(&other), -1);
}

/* Structural invariants of the tables that the lookups depend on. */
static void
test_table_invariants(void **state)
{
    (void)state;
    size_t named = kc_schema_named_count();
    size_t total = kc_schema_count();

    assert_int_equal(named, NAMED_SCHEMAS);
    assert_true(total > named);
    for (size_t i = 0; i < total; i++) {
        const struct kc_schema *s = kc_schema_at(i);
        assert_int_equal(kc_schema_index(s), (long)i);
        if (i < named) {
            assert_non_null(s->name);
            assert_ptr_equal(kc_schema_find(s->name), s);
            if (i > 0 && strcmp(kc_schema_at(i - 1)->name, s->name) >= 0)
                fail_msg("schemas not sorted at %s", s->name);
        } else {
            assert_null(s->name);
            assert_int_equal(s->nprops, 0);
            assert_int_equal(s->ngvks, 0);
        }
        assert_true(s->type >= KC_SCHEMA_OBJECT && s->type <= KC_SCHEMA_ANY);
        assert_string_not_equal(kc_schema_type_str(s->type), "?");
        if (s->type == KC_SCHEMA_ARRAY || s->type == KC_SCHEMA_MAP) {
            if (!s->elem || kc_schema_index(s->elem) < 0)
                fail_msg("schema %zu (%s) has no element schema", i, kc_schema_type_str(s->type));
        } else {
            assert_null(s->elem);
        }
        if (s->type == KC_SCHEMA_OBJECT)
            assert_true(s->nprops > 0);
        else
            assert_int_equal(s->nprops, 0);
        for (size_t j = 0; j < s->nprops; j++) {
            const struct kc_schema_prop *p = &s->props[j];
            assert_non_null(p->name);
            assert_true(kc_schema_index(p->schema) >= 0);
            assert_ptr_equal(kc_schema_prop_find(s, p->name), p);
            if (kc_json_plain_end(p->name, strlen(p->name), 0, true) != strlen(p->name))
                fail_msg("%s: property %s needs escaping in JSON (typed.c writes the schema's names as they are)",
                         s->name, p->name);
            if (j > 0 && strcmp(s->props[j - 1].name, p->name) >= 0)
                fail_msg("%s: properties not sorted at %s", s->name, p->name);
            if (p->nlist_map_keys)
                assert_int_equal(p->list_type, KC_SCHEMA_LIST_MAP);
            if (p->list_type == KC_SCHEMA_LIST_MAP)
                assert_true(p->nlist_map_keys > 0);
            if (p->patch_strategy)
                assert_non_null(kc_schema_patch_strategy_str(p->patch_strategy));
        }
        for (size_t j = 0; j < s->nrequired; j++) {
            const struct kc_schema_prop *p = kc_schema_prop_find(s, s->required[j]);
            if (!p || !kc_schema_prop_required(p))
                fail_msg("%s: required %s is not a flagged property", s->name, s->required[j]);
        }
        size_t nflagged = 0;
        for (size_t j = 0; j < s->nprops; j++)
            nflagged += kc_schema_prop_required(&s->props[j]);
        assert_int_equal(nflagged, s->nrequired);
        for (size_t j = 0; j < s->ngvks; j++) {
            const struct kc_schema_gvk *g = &s->gvks[j];
            assert_ptr_equal(g->schema, s);
            assert_ptr_equal(kc_schema_find_gvk(g->group, g->version, g->kind), s);
        }
    }
    /* the GVK iteration is sorted and complete */
    size_t ngvks = 0;
    for (size_t i = 0; i < named; i++)
        ngvks += kc_schema_at(i)->ngvks;
    assert_int_equal(kc_schema_gvk_count(), ngvks);
    assert_int_equal(kc_schema_gvk_count(), GVKS_ALL);
    for (size_t i = 1; i < kc_schema_gvk_count(); i++) {
        const struct kc_schema_gvk *a = kc_schema_gvk_at(i - 1), *b = kc_schema_gvk_at(i);
        int c = strcmp(a->group, b->group);
        if (c == 0)
            c = strcmp(a->version, b->version);
        if (c == 0)
            c = strcmp(a->kind, b->kind);
        if (c >= 0)
            fail_msg("GVKs not sorted at %s/%s %s", b->group, b->version, b->kind);
    }
}

static void
test_docs(void **state)
{
    (void)state;
    assert_int_equal(kc_schema_doc_count(), DOCS);
    size_t gv = 0;
    for (size_t i = 0; i < kc_schema_doc_count(); i++) {
        const struct kc_schema_doc *d = kc_schema_doc_at(i);
        assert_ptr_equal(kc_schema_doc_find(d->path), d);
        if (i > 0)
            assert_true(strcmp(kc_schema_doc_at(i - 1)->path, d->path) < 0);
        for (size_t j = 0; j < d->nschemas; j++) {
            assert_true(kc_schema_index(d->schemas[j]) >= 0);
            assert_non_null(d->schemas[j]->name);
            if (j > 0)
                assert_true(strcmp(d->schemas[j - 1]->name, d->schemas[j]->name) < 0);
        }
        gv += d->version != NULL;
    }
    assert_int_equal(gv, GV_DOCS);

    const struct kc_schema_doc *d = kc_schema_doc_find("api/v1");
    assert_non_null(d);
    assert_string_equal(d->group, "");
    assert_string_equal(d->version, "v1");
    assert_int_equal(d->nschemas, 240);
    d = kc_schema_doc_find("apis/apps/v1");
    assert_non_null(d);
    assert_string_equal(d->group, "apps");
    assert_string_equal(d->version, "v1");
    assert_int_equal(d->nschemas, 157);
    bool has_podspec = false, has_scale = false;
    for (size_t j = 0; j < d->nschemas; j++) {
        has_podspec |= d->schemas[j] == must_find(CORE "PodSpec");
        has_scale |= d->schemas[j] == must_find("io.k8s.api.autoscaling.v1.Scale");
    }
    assert_true(has_podspec);
    assert_true(has_scale);
    d = kc_schema_doc_find("apis/batch");
    assert_non_null(d);
    assert_string_equal(d->group, "batch");
    assert_null(d->version);
    assert_int_equal(d->nschemas, 3);
    d = kc_schema_doc_find("api");
    assert_non_null(d);
    assert_null(d->group);
    assert_null(d->version);
}

/* Every group-version-kind the 15 group-version documents list is found, on the schema that lists it. Also a few
 * kinds written down by hand, one or more per document. */
static void
test_all_gvks(void **state)
{
    (void)state;
    size_t seen = 0;
    static const struct kc_schema_gvk *gvks[GVKS_ALL];
    assert_int_equal(kc_schema_gvk_count(), GVKS_ALL);
    for (size_t i = 0; i < kc_schema_doc_count(); i++) {
        const struct kc_schema_doc *d = kc_schema_doc_at(i);
        if (!d->version)
            continue;
        for (size_t j = 0; j < d->nschemas; j++) {
            const struct kc_schema *s = d->schemas[j];
            for (size_t k = 0; k < s->ngvks; k++) {
                const struct kc_schema_gvk *g = &s->gvks[k];
                assert_ptr_equal(kc_schema_find_gvk(g->group, g->version, g->kind), s);
                size_t m = 0;
                while (m < seen && gvks[m] != g)
                    m++;
                if (m == seen)
                    gvks[seen++] = g;
            }
        }
    }
    assert_int_equal(seen, GVKS_GV_DOCS);

    static const struct {
        const char *group, *version, *kind, *schema;
    } kinds[] = {
        { "", "v1", "Pod", CORE "Pod" },
        { "", "v1", "PodList", CORE "PodList" },
        { "", "v1", "Service", CORE "Service" },
        { "", "v1", "Namespace", CORE "Namespace" },
        { "", "v1", "Node", CORE "Node" },
        { "", "v1", "ConfigMap", CORE "ConfigMap" },
        { "", "v1", "Secret", CORE "Secret" },
        { "", "v1", "PersistentVolumeClaim", CORE "PersistentVolumeClaim" },
        { "", "v1", "Binding", CORE "Binding" },
        { "policy", "v1", "Eviction", "io.k8s.api.policy.v1.Eviction" },
        { "", "v1", "WatchEvent", META "WatchEvent" },
        { "apps", "v1", "ReplicaSet", "io.k8s.api.apps.v1.ReplicaSet" },
        { "apps", "v1", "StatefulSet", "io.k8s.api.apps.v1.StatefulSet" },
        { "apps", "v1", "DaemonSet", "io.k8s.api.apps.v1.DaemonSet" },
        { "apps", "v1", "ControllerRevision", "io.k8s.api.apps.v1.ControllerRevision" },
        { "batch", "v1", "Job", "io.k8s.api.batch.v1.Job" },
        { "batch", "v1", "CronJob", "io.k8s.api.batch.v1.CronJob" },
        { "networking.k8s.io", "v1", "Ingress", "io.k8s.api.networking.v1.Ingress" },
        { "networking.k8s.io", "v1", "NetworkPolicy", "io.k8s.api.networking.v1.NetworkPolicy" },
        { "discovery.k8s.io", "v1", "EndpointSlice", "io.k8s.api.discovery.v1.EndpointSlice" },
        { "coordination.k8s.io", "v1", "Lease", "io.k8s.api.coordination.v1.Lease" },
        { "storage.k8s.io", "v1", "StorageClass", "io.k8s.api.storage.v1.StorageClass" },
        { "autoscaling", "v1", "HorizontalPodAutoscaler", "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler" },
        { "rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "io.k8s.api.rbac.v1.ClusterRoleBinding" },
        { "policy", "v1", "PodDisruptionBudget", "io.k8s.api.policy.v1.PodDisruptionBudget" },
        { "authorization.k8s.io", "v1", "SelfSubjectAccessReview",
          "io.k8s.api.authorization.v1.SelfSubjectAccessReview" },
        { "authentication.k8s.io", "v1", "TokenReview", "io.k8s.api.authentication.v1.TokenReview" },
        { "authentication.k8s.io", "v1", "SelfSubjectReview", "io.k8s.api.authentication.v1.SelfSubjectReview" },
        { "certificates.k8s.io", "v1", "CertificateSigningRequest",
          "io.k8s.api.certificates.v1.CertificateSigningRequest" },
        { "events.k8s.io", "v1", "EventList", "io.k8s.api.events.v1.EventList" },
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const struct kc_schema *s = kc_schema_find_gvk(kinds[i].group, kinds[i].version, kinds[i].kind);
        if (!s)
            fail_msg("kind %s/%s %s not found", kinds[i].group, kinds[i].version, kinds[i].kind);
        assert_string_equal(s->name, kinds[i].schema);
    }
}

static void
test_strings(void **state)
{
    (void)state;
    assert_string_equal(kc_schema_type_str(KC_SCHEMA_INT_OR_STRING), "int-or-string");
    assert_string_equal(kc_schema_type_str(KC_SCHEMA_ANY), "any");
    assert_string_equal(kc_schema_type_str((enum kc_schema_type)0), "?");
    assert_string_equal(kc_schema_oa_type_str(KC_SCHEMA_OA_INTEGER), "integer");
    assert_null(kc_schema_oa_type_str(KC_SCHEMA_OA_NONE));
    assert_string_equal(kc_schema_format_str(KC_SCHEMA_FMT_DATE_TIME), "date-time");
    assert_null(kc_schema_format_str(KC_SCHEMA_FMT_NONE));
    assert_string_equal(kc_schema_list_type_str(KC_SCHEMA_LIST_SET), "set");
    assert_null(kc_schema_list_type_str(KC_SCHEMA_LIST_NONE));
    assert_string_equal(kc_schema_map_type_str(KC_SCHEMA_MAPTYPE_GRANULAR), "granular");
    assert_null(kc_schema_map_type_str(KC_SCHEMA_MAPTYPE_NONE));
    assert_string_equal(kc_schema_patch_strategy_str(KC_SCHEMA_PATCH_MERGE), "merge");
    assert_string_equal(kc_schema_patch_strategy_str(KC_SCHEMA_PATCH_MERGE | KC_SCHEMA_PATCH_RETAIN_KEYS),
                        "merge,retainKeys");
    assert_null(kc_schema_patch_strategy_str(0));
    assert_null(kc_schema_patch_strategy_str(KC_SCHEMA_PATCH_MERGE | KC_SCHEMA_PATCH_REPLACE));
}

/* ---- cross-check against the OpenAPI documents themselves (skipped when they are not present) ---- */

static char spec_dir[1024];
static json_t *loaded; /* the document being checked; released by release_doc also when a check fails */

static int
release_doc(void **state)
{
    (void)state;
    json_decref(loaded);
    loaded = NULL;
    return 0;
}

static bool
find_spec_dir(void)
{
    const char *env = getenv("K8C_SCHEMA_SPEC_DIR");
    const char *data = getenv("K8C_TEST_DATA");
    struct stat st;

    if (env)
        snprintf(spec_dir, sizeof(spec_dir), "%s", env);
    else if (data)
        snprintf(spec_dir, sizeof(spec_dir), "%s/../../../../shared/k8s-openapi/v3", data);
    else
        return false;
    return stat(spec_dir, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool
zero_default(const json_t *v)
{
    return json_is_null(v) || json_is_false(v) || (json_is_string(v) && json_string_length(v) == 0) ||
           (json_is_integer(v) && json_integer_value(v) == 0) || (json_is_object(v) && json_object_size(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0);
}

/* The schema a property/items/additionalProperties node names, following "$ref" or "allOf": [{"$ref"}]. */
static const char *
node_ref(const json_t *node)
{
    const json_t *ref = json_object_get(node, "$ref");
    const json_t *all = json_object_get(node, "allOf");

    if (!ref && all)
        ref = json_object_get(json_array_get(all, 0), "$ref");
    if (!json_is_string(ref))
        return NULL;
    assert_memory_equal(json_string_value(ref), "#/components/schemas/", 21);
    return json_string_value(ref) + 21;
}

/* Checks that the table schema s matches the document's node (a property's or item's type). */
static void
check_node(const char *where, const json_t *node, const struct kc_schema *s)
{
    const char *ref = node_ref(node);
    const char *type = json_string_value(json_object_get(node, "type"));
    const char *format = json_string_value(json_object_get(node, "format"));

    if (ref) {
        if (s != kc_schema_find(ref))
            fail_msg("%s: refers to %s, table has %s", where, ref, s->name ? s->name : "(anonymous)");
        return;
    }
    assert_null(s->name);
    if (!type || strcmp(kc_schema_oa_type_str(s->oa_type), type) != 0)
        fail_msg("%s: type %s, table has %s", where, type ? type : "(none)", kc_schema_oa_type_str(s->oa_type));
    if ((format || s->format) && (!format || !s->format || strcmp(kc_schema_format_str(s->format), format) != 0))
        fail_msg("%s: format %s, table has %s", where, format ? format : "(none)",
                 s->format ? kc_schema_format_str(s->format) : "(none)");
    if (!strcmp(type, "array")) {
        assert_int_equal(s->type, KC_SCHEMA_ARRAY);
        check_node(where, json_object_get(node, "items"), s->elem);
    } else if (!strcmp(type, "object")) {
        assert_int_equal(s->type, KC_SCHEMA_MAP);
        check_node(where, json_object_get(node, "additionalProperties"), s->elem);
    }
}

static void
check_string_opt(const char *where, const char *what, const json_t *doc_value, const char *table)
{
    const char *want = json_string_value(doc_value);

    if (!want && !table)
        return;
    if (!want || !table || strcmp(want, table) != 0)
        fail_msg("%s: %s is %s in the document, %s in the table", where, what, want ? want : "(none)",
                 table ? table : "(none)");
}

static bool
in_list(const json_t *list, const char *name)
{
    size_t i;
    const json_t *v;

    json_array_foreach(list, i, v)
    {
        if (!strcmp(json_string_value(v), name))
            return true;
    }
    return false;
}

static void
check_schema(const char *docname, const char *name, const json_t *js)
{
    const struct kc_schema *s = kc_schema_find(name);
    const json_t *props = json_object_get(js, "properties");
    const json_t *required = json_object_get(js, "required");
    const json_t *gvks = json_object_get(js, "x-kubernetes-group-version-kind");
    const char *pname;
    const json_t *p;
    char where[512];

    if (!s)
        fail_msg("%s: schema %s missing from the tables", docname, name);
    assert_int_equal(s->nprops, json_object_size(props));
    assert_int_equal(s->nrequired, json_array_size(required));
    for (size_t i = 0; i < s->nrequired; i++)
        assert_string_equal(s->required[i], json_string_value(json_array_get(required, i)));
    assert_int_equal(s->ngvks, json_array_size(gvks));
    for (size_t i = 0; i < s->ngvks; i++) {
        const json_t *g = json_array_get(gvks, i);
        assert_string_equal(s->gvks[i].group, json_string_value(json_object_get(g, "group")));
        assert_string_equal(s->gvks[i].version, json_string_value(json_object_get(g, "version")));
        assert_string_equal(s->gvks[i].kind, json_string_value(json_object_get(g, "kind")));
    }
    snprintf(where, sizeof(where), "%s", name);
    check_string_opt(where, "x-kubernetes-map-type", json_object_get(js, "x-kubernetes-map-type"),
                     kc_schema_map_type_str(s->map_type));
    assert_int_equal(s->nunions, json_array_size(json_object_get(js, "x-kubernetes-unions")));

    json_object_foreach((json_t *)props, pname, p)
    {
        const struct kc_schema_prop *tp = kc_schema_prop_find(s, pname);
        const json_t *def = json_object_get(p, "default");
        const json_t *keys = json_object_get(p, "x-kubernetes-list-map-keys");

        snprintf(where, sizeof(where), "%s.%s", name, pname);
        if (!tp)
            fail_msg("%s missing from the tables", where);
        check_node(where, p, tp->schema);
        check_string_opt(where, "x-kubernetes-patch-merge-key", json_object_get(p, "x-kubernetes-patch-merge-key"),
                         tp->merge_key);
        check_string_opt(where, "x-kubernetes-patch-strategy", json_object_get(p, "x-kubernetes-patch-strategy"),
                         kc_schema_patch_strategy_str(tp->patch_strategy));
        check_string_opt(where, "x-kubernetes-list-type", json_object_get(p, "x-kubernetes-list-type"),
                         kc_schema_list_type_str(tp->list_type));
        check_string_opt(where, "x-kubernetes-map-type", json_object_get(p, "x-kubernetes-map-type"),
                         kc_schema_map_type_str(tp->map_type));
        assert_int_equal(tp->nlist_map_keys, json_array_size(keys));
        for (size_t i = 0; i < tp->nlist_map_keys; i++)
            assert_string_equal(tp->list_map_keys[i], json_string_value(json_array_get(keys, i)));
        if (def && !zero_default(def)) {
            char *text = json_dumps(def, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
            assert_non_null(text);
            if (!tp->default_json || strcmp(text, tp->default_json) != 0)
                fail_msg("%s: default %s, table has %s", where, text, tp->default_json ? tp->default_json : "none");
            free(text);
        } else if (tp->default_json) {
            fail_msg("%s: table has default %s the document does not give", where, tp->default_json);
        }
        assert_int_equal(kc_schema_prop_required(tp), in_list(required, pname));
    }
}

static void
test_against_documents(void **state)
{
    (void)state;
    if (!find_spec_dir()) {
        print_message("OpenAPI documents not found (set K8C_SCHEMA_SPEC_DIR); skipping the cross-check\n");
        skip();
    }
    size_t ndocs = 0, gv_gvks = 0;
    static const struct kc_schema_gvk *seen[GVKS_ALL];
    assert_int_equal(kc_schema_gvk_count(), GVKS_ALL);
    for (size_t i = 0; i < kc_schema_doc_count(); i++) {
        const struct kc_schema_doc *d = kc_schema_doc_at(i);
        char path[1400], fname[256];
        json_error_t err;
        size_t k = 0;

        snprintf(fname, sizeof(fname), "%s", d->path);
        for (char *c = fname; *c; c++) {
            if (*c == '/') {
                memmove(c + 2, c + 1, strlen(c + 1) + 1);
                c[0] = c[1] = '_';
                c++;
            }
        }
        snprintf(path, sizeof(path), "%s/%s_openapi.json", spec_dir, fname);
        json_t *doc = loaded = json_load_file(path, 0, &err);
        if (!doc)
            fail_msg("%s: %s (line %d)", path, err.text, err.line);
        const json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
        const char *name;
        const json_t *js;
        assert_int_equal(json_object_size(schemas), d->nschemas);
        json_object_foreach((json_t *)schemas, name, js)
        {
            /* the document's schema list (sorted like the table's) */
            while (k < d->nschemas && strcmp(d->schemas[k]->name, name) < 0)
                k++;
            if (k == d->nschemas || strcmp(d->schemas[k]->name, name) != 0)
                fail_msg("%s: schema %s not in the document's table", d->path, name);
            check_schema(d->path, name, js);
            if (d->version) {
                const struct kc_schema *s = kc_schema_find(name);
                for (size_t g = 0; g < s->ngvks; g++) {
                    size_t m = 0;
                    while (m < gv_gvks && seen[m] != &s->gvks[g])
                        m++;
                    if (m == gv_gvks)
                        seen[gv_gvks++] = &s->gvks[g];
                }
            }
        }
        json_decref(doc);
        loaded = NULL;
        ndocs++;
    }
    assert_int_equal(ndocs, DOCS);
    assert_int_equal(gv_gvks, GVKS_GV_DOCS);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_keys),    cmocka_unit_test(test_map_types),
        cmocka_unit_test(test_defaults),      cmocka_unit_test(test_gvk_lookup),
        cmocka_unit_test(test_required),      cmocka_unit_test(test_types),
        cmocka_unit_test(test_walk),          cmocka_unit_test(test_walk_errors),
        cmocka_unit_test(test_unknown_names), cmocka_unit_test(test_table_invariants),
        cmocka_unit_test(test_docs),          cmocka_unit_test(test_all_gvks),
        cmocka_unit_test(test_strings),       cmocka_unit_test_teardown(test_against_documents, release_doc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
