/* test_defaults.c - every kind's defaults (apiserver/defaults.c) against what a Kubernetes 1.33 API server stores:
 * whole objects compared with upstream's defaulted output (e.g. `kubectl create deployment web --image=nginx`),
 * idempotency, values the user set being kept, image pull policies, quantity normalisation, Secret stringData,
 * Job selector generation and the create-only preparation (api_prepare_create). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_kinds.h"
#include "api_res.h"
#include "api_validate.h"
#include "kc_json.h"

#include "api_test_kinds.h"

/* Parses test JSON written with single quotes (no apostrophes inside the texts). */
static json_t *
J(const char *text)
{
    size_t n = strlen(text);
    char *s = malloc(n + 1), err[160];
    json_t *v = NULL;
    assert_non_null(s);
    for (size_t i = 0; i <= n; i++)
        s[i] = text[i] == '\'' ? '"' : text[i];
    int rc = kc_json_parse(s, n, &v, err, sizeof(err));
    if (rc != 0) {
        print_error("bad test JSON %s: %s\n", s, err);
        free(s);
        fail();
    }
    free(s);
    return v;
}

/* Defaults `in` with r's defaults (twice: the second pass must change nothing) and compares with `want`. */
static bool
check_defaults_at(const struct api_resource *r, const char *in, const char *want, int line)
{
    json_t *obj = J(in), *exp = J(want);
    r->defaults(r, obj);
    bool ok = kc_json_equal(obj, exp);
    if (!ok) {
        char *got = kc_json_canonical(obj), *w = kc_json_canonical(exp);
        print_error("line %d (%s):\n  got  %s\n  want %s\n", line, r->kind, got, w);
        free(got);
        free(w);
    }
    json_t *again = json_deep_copy(obj);
    r->defaults(r, again);
    if (!kc_json_equal(obj, again)) {
        char *a = kc_json_canonical(obj), *b = kc_json_canonical(again);
        print_error("line %d (%s): not idempotent:\n  once  %s\n  twice %s\n", line, r->kind, a, b);
        free(a);
        free(b);
        ok = false;
    }
    json_decref(again);
    json_decref(obj);
    json_decref(exp);
    return ok;
}

#define CHECK(r, in, want) assert_true(check_defaults_at(r, in, want, __LINE__))

/* What every container gets. */
#define CTR_DEFAULTS "'resources':{},'terminationMessagePath':'/dev/termination-log','terminationMessagePolicy':'File'"
/* What every pod template spec gets. */
#define SPEC_DEFAULTS                                                                                               \
    "'dnsPolicy':'ClusterFirst','restartPolicy':'Always','schedulerName':'default-scheduler','securityContext':{}," \
    "'terminationGracePeriodSeconds':30"

/* `kubectl create deployment web --image=nginx` sends this; `kubectl get deploy web -o json` on 1.33 shows the
 * spec below (metadata and status are the server's and the controller's). */
static void
test_deployment_golden(void **state)
{
    (void)state;
    CHECK(&R_DEPLOY,
          "{'kind':'Deployment','apiVersion':'apps/v1','metadata':{'name':'web','creationTimestamp':null,'labels':{"
          "'app':'web'}},'spec':{'replicas':1,'selector':{'matchLabels':{'app':'web'}},'template':{'metadata':{"
          "'creationTimestamp':null,'labels':{'app':'web'}},'spec':{'containers':[{'name':'nginx','image':'nginx',"
          "'resources':{}}]}},'strategy':{}},'status':{}}",
          "{'kind':'Deployment','apiVersion':'apps/v1','metadata':{'name':'web','creationTimestamp':null,'labels':{"
          "'app':'web'}},'spec':{'progressDeadlineSeconds':600,'replicas':1,'revisionHistoryLimit':10,"
          "'selector':{'matchLabels':{'app':'web'}},'strategy':{'rollingUpdate':{'maxSurge':'25%','maxUnavailable':"
          "'25%'},'type':'RollingUpdate'},'template':{'metadata':{'creationTimestamp':null,'labels':{'app':'web'}},"
          "'spec':{'containers':[{'image':'nginx','imagePullPolicy':'Always','name':'nginx'," CTR_DEFAULTS
          "}]," SPEC_DEFAULTS "}}},'status':{}}");

    /* the documentation's nginx-deployment.yaml (kubectl apply sends it as written) */
    CHECK(&R_DEPLOY,
          "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'nginx-deployment','labels':{'app':'nginx'}},"
          "'spec':{'replicas':3,'selector':{'matchLabels':{'app':'nginx'}},'template':{'metadata':{'labels':{'app':"
          "'nginx'}},'spec':{'containers':[{'name':'nginx','image':'nginx:1.14.2','ports':[{'containerPort':80}]}]}}}}",
          "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'nginx-deployment','labels':{'app':'nginx'}},"
          "'spec':{'progressDeadlineSeconds':600,'replicas':3,'revisionHistoryLimit':10,'selector':{'matchLabels':{"
          "'app':'nginx'}},'strategy':{'rollingUpdate':{'maxSurge':'25%','maxUnavailable':'25%'},'type':"
          "'RollingUpdate'},'template':{'metadata':{'creationTimestamp':null,'labels':{'app':'nginx'}},'spec':{"
          "'containers':[{'image':'nginx:1.14.2','imagePullPolicy':'IfNotPresent','name':'nginx','ports':[{"
          "'containerPort':80,'protocol':'TCP'}]," CTR_DEFAULTS "}]," SPEC_DEFAULTS "}}}}");

    /* values the user set are kept, zeros included; Recreate gets no rollingUpdate */
    CHECK(&R_DEPLOY,
          "{'spec':{'replicas':0,'revisionHistoryLimit':0,'progressDeadlineSeconds':60,'strategy':{'type':'Recreate'},"
          "'template':{'spec':{'terminationGracePeriodSeconds':0,'dnsPolicy':'Default','restartPolicy':'Always',"
          "'schedulerName':'mine','securityContext':{'runAsUser':1000},'containers':[{'name':'c','image':'x',"
          "'imagePullPolicy':'Never','terminationMessagePath':'/tmp/t','terminationMessagePolicy':"
          "'FallbackToLogsOnError','resources':{'limits':{'cpu':'1'}}}]}}}}",
          "{'spec':{'replicas':0,'revisionHistoryLimit':0,'progressDeadlineSeconds':60,'strategy':{'type':'Recreate'},"
          "'template':{'metadata':{'creationTimestamp':null},'spec':{'terminationGracePeriodSeconds':0,'dnsPolicy':"
          "'Default','restartPolicy':'Always','schedulerName':'mine','securityContext':{'runAsUser':1000},"
          "'containers':[{'name':'c','image':'x','imagePullPolicy':'Never','terminationMessagePath':'/tmp/t',"
          "'terminationMessagePolicy':'FallbackToLogsOnError','resources':{'limits':{'cpu':'1'}}}]}}}}");

    /* a partial rollingUpdate is completed */
    CHECK(&R_DEPLOY, "{'spec':{'strategy':{'rollingUpdate':{'maxSurge':1}},'template':{'spec':{'containers':[]}}}}",
          "{'spec':{'replicas':1,'revisionHistoryLimit':10,'progressDeadlineSeconds':600,'strategy':{'type':"
          "'RollingUpdate','rollingUpdate':{'maxSurge':1,'maxUnavailable':'25%'}},'template':{'metadata':{"
          "'creationTimestamp':null},'spec':{'containers':[]," SPEC_DEFAULTS "}}}}");
}

/* `kubectl run nginx --image=nginx` (admission adds serviceAccountName, tolerations, priority; defaults do not). */
static void
test_pod(void **state)
{
    (void)state;
    CHECK(&R_POD,
          "{'kind':'Pod','apiVersion':'v1','metadata':{'name':'nginx','creationTimestamp':null,'labels':{'run':"
          "'nginx'}},'spec':{'containers':[{'name':'nginx','image':'nginx','resources':{}}],'restartPolicy':'Always',"
          "'dnsPolicy':'ClusterFirst'},'status':{}}",
          "{'kind':'Pod','apiVersion':'v1','metadata':{'name':'nginx','creationTimestamp':null,'labels':{'run':"
          "'nginx'}},'spec':{'containers':[{'image':'nginx','imagePullPolicy':'Always','name':'nginx'," CTR_DEFAULTS
          "}]," SPEC_DEFAULTS ",'enableServiceLinks':true},'status':{}}");

    /* requests default to limits (pods only), probes, env field refs, volumes */
    CHECK(&R_POD,
          "{'spec':{'enableServiceLinks':false,'volumes':[{'name':'a'},{'name':'b','configMap':{'name':'cm'}},{'name':"
          "'c','secret':{'secretName':'s','defaultMode':256}},{'name':'d','hostPath':{'path':'/x'}}],'containers':[{"
          "'name':'c','image':'app:v1','resources':{'limits':{'cpu':'500m','memory':'128Mi'},'requests':{'cpu':"
          "'100m'}},'livenessProbe':{'httpGet':{'port':8080}},'readinessProbe':{'grpc':{'port':9000},"
          "'periodSeconds':5},'env':[{'name':'N','valueFrom':{'fieldRef':{'fieldPath':'metadata.name'}}}],'ports':[{"
          "'containerPort':53,'protocol':'UDP'}]}]}}",
          "{'spec':{'enableServiceLinks':false,'volumes':[{'name':'a','emptyDir':{}},{'name':'b','configMap':{'name':"
          "'cm','defaultMode':420}},{'name':'c','secret':{'secretName':'s','defaultMode':256}},{'name':'d','hostPath':{"
          "'path':'/x','type':''}}],'containers':[{'name':'c','image':'app:v1','imagePullPolicy':'IfNotPresent',"
          "'resources':{'limits':{'cpu':'500m','memory':'128Mi'},'requests':{'cpu':'100m','memory':'128Mi'}},"
          "'livenessProbe':{'httpGet':{'port':8080,'path':'/','scheme':'HTTP'},'timeoutSeconds':1,'periodSeconds':10,"
          "'successThreshold':1,'failureThreshold':3},'readinessProbe':{'grpc':{'port':9000,'service':''},"
          "'periodSeconds':5,'timeoutSeconds':1,'successThreshold':1,'failureThreshold':3},'env':[{'name':'N',"
          "'valueFrom':{'fieldRef':{'fieldPath':'metadata.name','apiVersion':'v1'}}}],'ports':[{'containerPort':53,"
          "'protocol':'UDP'}],'terminationMessagePath':'/dev/"
          "termination-log','terminationMessagePolicy':'File'}]," SPEC_DEFAULTS "}}");

    /* host ports follow container ports under hostNetwork (pods only) */
    CHECK(&R_POD,
          "{'spec':{'hostNetwork':true,'containers':[{'name':'c','image':'x:1','ports':[{'containerPort':80}]}]}}",
          "{'spec':{'hostNetwork':true,'containers':[{'name':'c','image':'x:1','imagePullPolicy':'IfNotPresent',"
          "'ports':[{'containerPort':80,'hostPort':80,'protocol':'TCP'}]," CTR_DEFAULTS "}]," SPEC_DEFAULTS
          ",'enableServiceLinks':true}}");
    /* ... but not in templates */
    CHECK(&R_RS,
          "{'spec':{'template':{'spec':{'hostNetwork':true,'containers':[{'name':'c','image':'x:1','ports':[{"
          "'containerPort':80}]}]}}}}",
          "{'spec':{'replicas':1,'template':{'metadata':{'creationTimestamp':null},'spec':{'hostNetwork':true,"
          "'containers':[{'name':'c','image':'x:1','imagePullPolicy':'IfNotPresent','ports':[{'containerPort':80,"
          "'protocol':'TCP'}]," CTR_DEFAULTS "}]," SPEC_DEFAULTS "}}}}");
}

/* imagePullPolicy: Always for ":latest" or no tag (and no digest), IfNotPresent otherwise (also for names that do
 * not parse), as SetDefaults_Container with parsers.ParseImageName. */
static void
test_image_pull_policy(void **state)
{
    (void)state;
    static const struct {
        const char *image, *policy;
    } cases[] = {
        { "nginx", "Always" },
        { "nginx:latest", "Always" },
        { "nginx:1.27", "IfNotPresent" },
        { "library/nginx", "Always" },
        { "docker.io/library/nginx:stable", "IfNotPresent" },
        { "registry.example.com:5000/team/app", "Always" },
        { "registry.example.com:5000/team/app:v2", "IfNotPresent" },
        { "localhost:5000/app", "Always" },
        { "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "IfNotPresent" },
        { "nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "Always" },
        { "", "IfNotPresent" },
        { "Nginx", "IfNotPresent" },
        { "nginx:", "IfNotPresent" },
        { "nginx:LATEST", "IfNotPresent" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *pod = json_pack("{s:{s:[{s:s,s:s}]}}", "spec", "containers", "name", "c", "image", cases[i].image);
        assert_non_null(pod);
        api_default_core_pod(&R_POD, pod);
        json_t *c = json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0);
        const char *got = json_string_value(json_object_get(c, "imagePullPolicy"));
        if (!got || strcmp(got, cases[i].policy) != 0) {
            print_error("image \"%s\": imagePullPolicy %s, want %s\n", cases[i].image, got ? got : "(none)",
                        cases[i].policy);
            fail();
        }
        json_decref(pod);
    }
}

/* Quantities are written as upstream's Quantity.String() of what it decoded. */
static void
test_quantities(void **state)
{
    (void)state;
    CHECK(
        &R_POD,
        "{'spec':{'containers':[{'name':'c','image':'x:1','resources':{'requests':{'cpu':'0.5','memory':'1Gi',"
        "'ephemeral-storage':'1000M'},'limits':{'cpu':2,'memory':'1.5Gi'}}}]}}",
        "{'spec':{'containers':[{'name':'c','image':'x:1','imagePullPolicy':'IfNotPresent','resources':{"
        "'requests':{'cpu':'500m','memory':'1Gi','ephemeral-storage':'1G'},'limits':{'cpu':'2','memory':"
        "'1536Mi'}},'terminationMessagePath':'/dev/termination-log','terminationMessagePolicy':'File'}]," SPEC_DEFAULTS
        ",'enableServiceLinks':true}}");
    /* an unparsable quantity is left for validation */
    CHECK(&R_PVC, "{'spec':{'resources':{'requests':{'storage':'lots'}}}}",
          "{'spec':{'volumeMode':'Filesystem','resources':{'requests':{'storage':'lots'}}},'status':{'phase':"
          "'Pending'}}");
}

static void
test_service(void **state)
{
    (void)state;
    /* `kubectl expose deployment web --port=80` (the allocator fills clusterIP/clusterIPs afterwards) */
    CHECK(&R_SVC, "{'spec':{'ports':[{'port':80,'protocol':'TCP','targetPort':80}],'selector':{'app':'web'}}}",
          "{'spec':{'ports':[{'port':80,'protocol':'TCP','targetPort':80}],'selector':{'app':'web'},'type':"
          "'ClusterIP','sessionAffinity':'None','internalTrafficPolicy':'Cluster','ipFamilyPolicy':'SingleStack',"
          "'ipFamilies':['IPv4']}}");
    CHECK(&R_SVC, "{'spec':{'ports':[{'port':80},{'name':'x','port':81,'targetPort':'http'}]}}",
          "{'spec':{'ports':[{'port':80,'protocol':'TCP','targetPort':80},{'name':'x','port':81,'protocol':'TCP',"
          "'targetPort':'http'}],'type':'ClusterIP','sessionAffinity':'None','internalTrafficPolicy':'Cluster',"
          "'ipFamilyPolicy':'SingleStack','ipFamilies':['IPv4']}}");
    CHECK(&R_SVC, "{'spec':{'type':'NodePort','ports':[{'port':80}]}}",
          "{'spec':{'type':'NodePort','ports':[{'port':80,'protocol':'TCP','targetPort':80}],'sessionAffinity':'None',"
          "'externalTrafficPolicy':'Cluster','internalTrafficPolicy':'Cluster','ipFamilyPolicy':'SingleStack',"
          "'ipFamilies':['IPv4']}}");
    CHECK(&R_SVC,
          "{'spec':{'type':'LoadBalancer','ports':[{'port':443}]},'status':{'loadBalancer':{'ingress':[{'ip':"
          "'203.0.113.7'},{'hostname':'lb.example.com'}]}}}",
          "{'spec':{'type':'LoadBalancer','ports':[{'port':443,'protocol':'TCP','targetPort':443}],'sessionAffinity':"
          "'None','externalTrafficPolicy':'Cluster','internalTrafficPolicy':'Cluster','allocateLoadBalancerNodePorts':"
          "true,'ipFamilyPolicy':'SingleStack','ipFamilies':['IPv4']},'status':{'loadBalancer':{'ingress':[{'ip':"
          "'203.0.113.7','ipMode':'VIP'},{'hostname':'lb.example.com'}]}}}");
    CHECK(&R_SVC, "{'spec':{'type':'ExternalName','externalName':'db.example.com'}}",
          "{'spec':{'type':'ExternalName','externalName':'db.example.com','sessionAffinity':'None'}}");
    CHECK(&R_SVC, "{'spec':{'clusterIP':'fd00::10','ports':[{'port':80}],'sessionAffinity':'ClientIP'}}",
          "{'spec':{'clusterIP':'fd00::10','clusterIPs':['fd00::10'],'ports':[{'port':80,'protocol':'TCP','targetPort':"
          "80}],'type':'ClusterIP','sessionAffinity':'ClientIP','sessionAffinityConfig':{'clientIP':{"
          "'timeoutSeconds':10800}},'internalTrafficPolicy':'Cluster','ipFamilyPolicy':'SingleStack','ipFamilies':["
          "'IPv6']}}");
    /* endpoints */
    CHECK(&R_EP, "{'subsets':[{'addresses':[{'ip':'10.1.0.5'}],'ports':[{'port':80}]}]}",
          "{'subsets':[{'addresses':[{'ip':'10.1.0.5'}],'ports':[{'port':80,'protocol':'TCP'}]}]}");
}

static void
test_workloads(void **state)
{
    (void)state;
    CHECK(
        &R_RS, "{'spec':{'template':{'spec':{'containers':[]}}}}",
        "{'spec':{'replicas':1,'template':{'metadata':{'creationTimestamp':null},'spec':{'containers':[]," SPEC_DEFAULTS
        "}}}}");
    CHECK(&R_STS,
          "{'spec':{'serviceName':'db','selector':{'matchLabels':{'app':'db'}},'template':{'metadata':{'labels':{'app':"
          "'db'}},'spec':{'containers':[]}},'volumeClaimTemplates':[{'metadata':{'name':'data'},'spec':{'accessModes':"
          "['ReadWriteOnce'],'resources':{'requests':{'storage':'1Gi'}}}}]}}",
          "{'spec':{'serviceName':'db','selector':{'matchLabels':{'app':'db'}},'replicas':1,'podManagementPolicy':"
          "'OrderedReady','updateStrategy':{'type':'RollingUpdate','rollingUpdate':{'partition':0}},"
          "'revisionHistoryLimit':10,'persistentVolumeClaimRetentionPolicy':{'whenDeleted':'Retain','whenScaled':"
          "'Retain'},'template':{'metadata':{'creationTimestamp':null,'labels':{'app':'db'}},'spec':{'containers':[]"
          "," SPEC_DEFAULTS "}},'volumeClaimTemplates':[{'apiVersion':'v1','kind':'PersistentVolumeClaim','metadata':{"
          "'name':'data','creationTimestamp':null},'spec':{'accessModes':['ReadWriteOnce'],'resources':{'requests':{"
          "'storage':'1Gi'}},'volumeMode':'Filesystem'},'status':{'phase':'Pending'}}]}}");
    CHECK(&R_STS, "{'spec':{'updateStrategy':{'type':'OnDelete'},'template':{'spec':{'containers':[]}}}}",
          "{'spec':{'replicas':1,'podManagementPolicy':'OrderedReady','updateStrategy':{'type':'OnDelete'},"
          "'revisionHistoryLimit':10,'persistentVolumeClaimRetentionPolicy':{'whenDeleted':'Retain','whenScaled':"
          "'Retain'},'template':{'metadata':{'creationTimestamp':null},'spec':{'containers':[]," SPEC_DEFAULTS "}}}}");
    CHECK(&R_DS, "{'spec':{'template':{'spec':{'containers':[]}}}}",
          "{'spec':{'updateStrategy':{'type':'RollingUpdate','rollingUpdate':{'maxUnavailable':1,'maxSurge':0}},"
          "'revisionHistoryLimit':10,'template':{'metadata':{'creationTimestamp':null},'spec':{'containers':[]"
          "," SPEC_DEFAULTS "}}}}");
    CHECK(&R_DS, "{'spec':{'updateStrategy':{'type':'OnDelete'},'template':{'spec':{'containers':[]}}}}",
          "{'spec':{'updateStrategy':{'type':'OnDelete'},'revisionHistoryLimit':10,'template':{'metadata':{"
          "'creationTimestamp':null},'spec':{'containers':[]," SPEC_DEFAULTS "}}}}");
}

#define UID "0b5e1d7c-0000-4000-8000-000000000001"

static void
test_batch(void **state)
{
    (void)state;
    /* `kubectl create job pi --image=perl` with the server-set uid: the selector and its labels are generated,
     * and metadata.labels copy them (as `kubectl get job pi -o yaml` shows) */
    CHECK(&R_JOB,
          "{'metadata':{'name':'pi','uid':'" UID "'},'spec':{'template':{'metadata':{'creationTimestamp':null},'spec':{"
          "'containers':[{'name':'pi','image':'perl','resources':{}}],'restartPolicy':'Never'}}}}",
          "{'metadata':{'name':'pi','uid':'" UID "','labels':{'batch.kubernetes.io/controller-uid':'" UID "',"
          "'batch.kubernetes.io/job-name':'pi','controller-uid':'" UID
          "','job-name':'pi'}},'spec':{'backoffLimit':6,'completionMode':'NonIndexed',"
          "'completions':1,'manualSelector':false,'parallelism':1,'podReplacementPolicy':'TerminatingOrFailed',"
          "'selector':{'matchLabels':{'batch.kubernetes.io/controller-uid':'" UID "'}},'suspend':false,'template':{"
          "'metadata':{'creationTimestamp':null,'labels':{'batch.kubernetes.io/controller-uid':'" UID "',"
          "'batch.kubernetes.io/job-name':'pi','controller-uid':'" UID "','job-name':'pi'}},'spec':{'containers':[{"
          "'image':'perl','imagePullPolicy':'Always','name':'pi'," CTR_DEFAULTS "}],'dnsPolicy':'ClusterFirst',"
          "'restartPolicy':'Never','schedulerName':'default-scheduler','securityContext':{},"
          "'terminationGracePeriodSeconds':30}}}}");
    /* a template with labels: metadata.labels default to them, generated ones included */
    CHECK(
        &R_JOB,
        "{'metadata':{'name':'pi','uid':'" UID "'},'spec':{'template':{'metadata':{'labels':{'app':'pi'}},'spec':{"
        "'containers':[],'restartPolicy':'Never'}}}}",
        "{'metadata':{'name':'pi','uid':'" UID "','labels':{'app':'pi','batch.kubernetes.io/controller-uid':'" UID "',"
        "'batch.kubernetes.io/job-name':'pi','controller-uid':'" UID "','job-name':'pi'}},'spec':{'backoffLimit':6,"
        "'completionMode':'NonIndexed','completions':1,'manualSelector':false,'parallelism':1,"
        "'podReplacementPolicy':'TerminatingOrFailed','selector':{'matchLabels':{'batch.kubernetes.io/controller-uid':"
        "'" UID "'}},'suspend':false,'template':{'metadata':{'creationTimestamp':null,'labels':{'app':'pi',"
        "'batch.kubernetes.io/controller-uid':'" UID "','batch.kubernetes.io/job-name':'pi','controller-uid':'" UID
        "','job-name':'pi'}},'spec':{'containers':[],'dnsPolicy':'ClusterFirst','restartPolicy':'Never',"
        "'schedulerName':'default-scheduler','securityContext':{},'terminationGracePeriodSeconds':30}}}}");
    /* parallelism given: completions stays unset; manual selectors are left alone; podFailurePolicy -> Failed */
    CHECK(
        &R_JOB,
        "{'metadata':{'name':'w','uid':'u'},'spec':{'parallelism':3,'manualSelector':true,'selector':{'matchLabels':{"
        "'a':'b'}},'podFailurePolicy':{'rules':[{'action':'Ignore','onPodConditions':[{'type':'DisruptionTarget'}]}]},"
        "'backoffLimitPerIndex':1,'completionMode':'Indexed','template':{'metadata':{'labels':{'a':'b'}},'spec':{"
        "'containers':[],'restartPolicy':'Never'}}}}",
        "{'metadata':{'name':'w','uid':'u','labels':{'a':'b'}},'spec':{'parallelism':3,'manualSelector':true,"
        "'selector':{'matchLabels':{'a':'b'}},'podFailurePolicy':{'rules':[{'action':'Ignore','onPodConditions':[{"
        "'type':'DisruptionTarget','status':'True'}]}]},'backoffLimitPerIndex':1,'backoffLimit':2147483647,"
        "'completionMode':'Indexed','suspend':false,'podReplacementPolicy':'Failed','template':{'metadata':{"
        "'creationTimestamp':null,'labels':{'a':'b'}},'spec':{'containers':[],'dnsPolicy':'ClusterFirst',"
        "'restartPolicy':'Never','schedulerName':'default-scheduler','securityContext':{},"
        "'terminationGracePeriodSeconds':30}}}}");
    /* `kubectl create cronjob nightly --image=busybox --schedule='0 3 * * *'` */
    CHECK(
        &R_CJ,
        "{'metadata':{'name':'nightly'},'spec':{'schedule':'0 3 * * *','jobTemplate':{'metadata':{'name':'nightly',"
        "'creationTimestamp':null},'spec':{'template':{'metadata':{'creationTimestamp':null},'spec':{'containers':[{"
        "'name':'nightly','image':'busybox','resources':{}}],'restartPolicy':'OnFailure'}}}}}}",
        "{'metadata':{'name':'nightly'},'spec':{'concurrencyPolicy':'Allow','failedJobsHistoryLimit':1,'jobTemplate':{"
        "'metadata':{'name':'nightly','creationTimestamp':null},'spec':{'template':{'metadata':{'creationTimestamp':"
        "null},'spec':{'containers':[{'image':'busybox','imagePullPolicy':'Always','name':'nightly'," CTR_DEFAULTS
        "}],'dnsPolicy':'ClusterFirst','restartPolicy':'OnFailure','schedulerName':'default-scheduler',"
        "'securityContext':{},'terminationGracePeriodSeconds':30}}}},'schedule':'0 3 * * *',"
        "'successfulJobsHistoryLimit':3,'suspend':false}}");
}

static void
test_core_others(void **state)
{
    (void)state;
    /* Namespace: the name label is (re)set; status.phase Active */
    CHECK(&R_NS, "{'metadata':{'name':'team-a','labels':{'kubernetes.io/metadata.name':'other','x':'y'}}}",
          "{'metadata':{'name':'team-a','labels':{'kubernetes.io/metadata.name':'team-a','x':'y'}},'status':{'phase':"
          "'Active'}}");
    CHECK(&R_NS, "{'metadata':{'name':'b'},'status':{'phase':'Terminating'}}",
          "{'metadata':{'name':'b','labels':{'kubernetes.io/metadata.name':'b'}},'status':{'phase':'Terminating'}}");
    /* PV, PVC */
    CHECK(&R_PV, "{'spec':{'capacity':{'storage':'10Gi'},'accessModes':['ReadWriteOnce'],'hostPath':{'path':'/d'}}}",
          "{'spec':{'capacity':{'storage':'10Gi'},'accessModes':['ReadWriteOnce'],'hostPath':{'path':'/d','type':''},"
          "'persistentVolumeReclaimPolicy':'Retain','volumeMode':'Filesystem'},'status':{'phase':'Pending'}}");
    CHECK(&R_PVC,
          "{'spec':{'accessModes':['ReadWriteOnce'],'volumeMode':'Block','resources':{'requests':{'storage':"
          "'1Gi'}}},'status':{'phase':'Bound'}}",
          "{'spec':{'accessModes':['ReadWriteOnce'],'volumeMode':'Block','resources':{'requests':{'storage':'1Gi'}}},"
          "'status':{'phase':'Bound'}}");
    /* Secret: type Opaque; stringData merged into data (base64, stringData wins) and dropped */
    CHECK(&R_SECRET, "{'metadata':{'name':'s'},'data':{'a':'eA==','b':'eQ=='},'stringData':{'b':'pass','c':''}}",
          "{'metadata':{'name':'s'},'type':'Opaque','data':{'a':'eA==','b':'cGFzcw==','c':''}}");
    CHECK(&R_SECRET, "{'metadata':{'name':'s'},'type':'kubernetes.io/tls'}",
          "{'metadata':{'name':'s'},'type':'kubernetes.io/tls'}");
    /* nothing to default */
    CHECK(&R_CM, "{'metadata':{'name':'c'},'data':{'k':'v'}}", "{'metadata':{'name':'c'},'data':{'k':'v'}}");
    CHECK(&R_SA, "{'metadata':{'name':'sa'}}", "{'metadata':{'name':'sa'}}");
    CHECK(&R_EVENT, "{'metadata':{'name':'e'},'reason':'x'}", "{'metadata':{'name':'e'},'reason':'x'}");
    CHECK(&R_EVV1, "{'metadata':{'name':'e'},'reason':'x'}", "{'metadata':{'name':'e'},'reason':'x'}");
    CHECK(&R_LEASE, "{'metadata':{'name':'l'},'spec':{}}", "{'metadata':{'name':'l'},'spec':{}}");
    CHECK(&R_ING, "{'spec':{'rules':[{'http':{'paths':[{'path':'/'}]}}]}}",
          "{'spec':{'rules':[{'http':{'paths':[{'path':'/'}]}}]}}");
    /* Node: podCIDRs from podCIDR; allocatable from capacity */
    CHECK(&R_NODE, "{'spec':{'podCIDR':'10.244.1.0/24'},'status':{'capacity':{'cpu':'4','memory':'8Gi','pods':'110'}}}",
          "{'spec':{'podCIDR':'10.244.1.0/24','podCIDRs':['10.244.1.0/24']},'status':{'capacity':{'cpu':'4','memory':"
          "'8Gi','pods':'110'},'allocatable':{'cpu':'4','memory':'8Gi','pods':'110'}}}");
    CHECK(&R_NODE, "{'spec':{'podCIDRs':['10.244.2.0/24','fd00::/64']}}",
          "{'spec':{'podCIDR':'10.244.2.0/24','podCIDRs':['10.244.2.0/24','fd00::/64']}}");
}

static void
test_other_groups(void **state)
{
    (void)state;
    CHECK(&R_SC, "{'metadata':{'name':'fast'},'provisioner':'x'}",
          "{'metadata':{'name':'fast'},'provisioner':'x','reclaimPolicy':'Delete','volumeBindingMode':'Immediate'}");
    CHECK(&R_SC, "{'provisioner':'x','reclaimPolicy':'Retain','volumeBindingMode':'WaitForFirstConsumer'}",
          "{'provisioner':'x','reclaimPolicy':'Retain','volumeBindingMode':'WaitForFirstConsumer'}");
    CHECK(&R_INGC, "{'spec':{'controller':'k8s.io/ingress-nginx','parameters':{'kind':'P','name':'p'}}}",
          "{'spec':{'controller':'k8s.io/ingress-nginx','parameters':{'kind':'P','name':'p','scope':'Cluster'}}}");
    CHECK(&R_EPS, "{'addressType':'IPv4','ports':[{'port':80},{'name':'x','port':81,'protocol':'UDP'}]}",
          "{'addressType':'IPv4','ports':[{'name':'','port':80,'protocol':'TCP'},{'name':'x','port':81,'protocol':"
          "'UDP'}]}");
    /* `kubectl autoscale deployment web --max=5` sends no metrics: cpu at 80% */
    CHECK(&R_HPA,
          "{'spec':{'scaleTargetRef':{'apiVersion':'apps/v1','kind':'Deployment','name':'web'},'maxReplicas':5}}",
          "{'spec':{'scaleTargetRef':{'apiVersion':'apps/v1','kind':'Deployment','name':'web'},'maxReplicas':5,"
          "'minReplicas':1,'metrics':[{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization',"
          "'averageUtilization':80}}}]}}");
    CHECK(
        &R_HPA,
        "{'spec':{'minReplicas':2,'maxReplicas':5,'metrics':[{'type':'Resource','resource':{'name':'memory','target':{"
        "'type':'AverageValue','averageValue':'0.5Gi'}}}],'behavior':{'scaleDown':{'stabilizationWindowSeconds':60}}}}",
        "{'spec':{'minReplicas':2,'maxReplicas':5,'metrics':[{'type':'Resource','resource':{'name':'memory','target':{"
        "'type':'AverageValue','averageValue':'512Mi'}}}],'behavior':{'scaleDown':{'stabilizationWindowSeconds':60,"
        "'selectPolicy':'Max','policies':[{'type':'Percent','value':100,'periodSeconds':15}]},'scaleUp':{"
        "'stabilizationWindowSeconds':0,'selectPolicy':'Max','policies':[{'type':'Pods','value':4,'periodSeconds':"
        "15},{'type':'Percent','value':100,'periodSeconds':15}]}}}}");
}

/* Defaulted objects of every kind validate cleanly (the defaults produce what validation requires). */
static void
test_defaults_then_valid(void **state)
{
    (void)state;
    static const struct {
        const struct api_resource *r;
        const char *obj;
    } cases[] = {
        { &R_POD, "{'metadata':{'name':'p','namespace':'d'},'spec':{'containers':[{'name':'c','image':'i','ports':[{"
                  "'containerPort':80}],'livenessProbe':{'httpGet':{'port':80}}}],'volumes':[{'name':'v'}]}}" },
        { &R_DEPLOY,
          "{'metadata':{'name':'w','namespace':'d'},'spec':{'selector':{'matchLabels':{'a':'b'}},"
          "'template':{'metadata':{'labels':{'a':'b'}},'spec':{'containers':[{'name':'c','image':'i'}]}}}}" },
        { &R_STS, "{'metadata':{'name':'w','namespace':'d'},'spec':{'selector':{'matchLabels':{'a':'b'}},'template':{"
                  "'metadata':{'labels':{'a':'b'}},'spec':{'containers':[{'name':'c','image':'i'}]}}}}" },
        { &R_DS, "{'metadata':{'name':'w','namespace':'d'},'spec':{'selector':{'matchLabels':{'a':'b'}},'template':{"
                 "'metadata':{'labels':{'a':'b'}},'spec':{'containers':[{'name':'c','image':'i'}]}}}}" },
        { &R_JOB, "{'metadata':{'name':'w','namespace':'d','uid':'u'},'spec':{'template':{'spec':{'restartPolicy':"
                  "'Never','containers':[{'name':'c','image':'i'}]}}}}" },
        { &R_CJ, "{'metadata':{'name':'w','namespace':'d'},'spec':{'schedule':'@daily','jobTemplate':{'spec':{"
                 "'template':{'spec':{'restartPolicy':'Never','containers':[{'name':'c','image':'i'}]}}}}}}" },
        { &R_SVC, "{'metadata':{'name':'w','namespace':'d'},'spec':{'type':'LoadBalancer','ports':[{'port':80}]}}" },
        { &R_PV, "{'metadata':{'name':'pv'},'spec':{'capacity':{'storage':'1Gi'},'accessModes':['ReadWriteOnce'],"
                 "'nfs':{'server':'s','path':'/p'}}}" },
        { &R_PVC, "{'metadata':{'name':'c','namespace':'d'},'spec':{'accessModes':['ReadWriteOnce'],'resources':{"
                  "'requests':{'storage':'1Gi'}}}}" },
        { &R_SECRET, "{'metadata':{'name':'s','namespace':'d'},'stringData':{'k':'v'}}" },
        { &R_HPA, "{'metadata':{'name':'h','namespace':'d'},'spec':{'scaleTargetRef':{'kind':'Deployment','name':'w'},"
                  "'maxReplicas':3,'behavior':{}}}" },
        { &R_SC, "{'metadata':{'name':'s'},'provisioner':'p'}" },
        { &R_NS, "{'metadata':{'name':'n'}}" },
        { &R_NODE, "{'metadata':{'name':'n'},'spec':{'podCIDR':'10.0.0.0/24'}}" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *obj = J(cases[i].obj);
        struct api_errors e = { 0 };
        cases[i].r->defaults(cases[i].r, obj);
        api_validate_meta(cases[i].r, obj, NULL, &e);
        cases[i].r->validate(cases[i].r, obj, NULL, &e);
        if (e.n) {
            char *s = kc_json_canonical(e.causes);
            print_error("%s: %d unexpected error(s): %s\n", cases[i].r->kind, e.n, s ? s : "");
            free(s);
        }
        assert_int_equal(e.n, 0);
        /* and an update to itself is fine too */
        json_t *copy = json_deep_copy(obj);
        cases[i].r->defaults(cases[i].r, copy);
        api_validate_meta(cases[i].r, copy, obj, &e);
        cases[i].r->validate(cases[i].r, copy, obj, &e);
        if (e.n) {
            char *s = kc_json_canonical(e.causes);
            print_error("%s update: %d unexpected error(s): %s\n", cases[i].r->kind, e.n, s ? s : "");
            free(s);
        }
        assert_int_equal(e.n, 0);
        api_errors_free(&e);
        json_decref(copy);
        json_decref(obj);
    }
}

static void
check_prepare_at(const struct api_resource *r, const char *in, const char *want, int line)
{
    json_t *obj = J(in), *exp = J(want);
    api_prepare_create(r, obj);
    if (!kc_json_equal(obj, exp)) {
        char *got = kc_json_canonical(obj), *w = kc_json_canonical(exp);
        print_error("line %d (%s):\n  got  %s\n  want %s\n", line, r->kind, got, w);
        free(got);
        free(w);
        fail();
    }
    json_decref(obj);
    json_decref(exp);
}

#define PREPARE(r, in, want) check_prepare_at(r, in, want, __LINE__)
#define QCTR(res)            "{'name':'c','image':'i','resources':" res "}"

static void
test_prepare_create(void **state)
{
    (void)state;
    /* Namespace: the kubernetes finalizer and phase Active */
    PREPARE(&R_NS, "{'metadata':{'name':'n'}}",
            "{'metadata':{'name':'n'},'spec':{'finalizers':['kubernetes']},'status':{'phase':'Active'}}");
    PREPARE(&R_NS, "{'metadata':{'name':'n'},'spec':{'finalizers':['example.com/x']},'status':{'phase':'Terminating'}}",
            "{'metadata':{'name':'n'},'spec':{'finalizers':['example.com/x','kubernetes']},'status':{'phase':"
            "'Active'}}");
    PREPARE(&R_NS, "{'metadata':{'name':'n'},'spec':{'finalizers':['kubernetes']}}",
            "{'metadata':{'name':'n'},'spec':{'finalizers':['kubernetes']},'status':{'phase':'Active'}}");
    /* Pod: phase Pending and the QoS class */
    PREPARE(&R_POD, "{'spec':{'containers':[" QCTR("{}") "]},'status':{'phase':'Running'}}",
            "{'spec':{'containers':[" QCTR("{}") "]},'status':{'phase':'Pending','qosClass':'BestEffort'}}");
    PREPARE(&R_POD, "{'spec':{'containers':[" QCTR("{'requests':{'cpu':'100m'}}") "]}}",
            "{'spec':{'containers':[" QCTR("{'requests':{'cpu':'100m'}}") "]},'status':{'phase':'Pending','qosClass':"
                                                                          "'Burstable'}}");
    PREPARE(
        &R_POD,
        "{'spec':{'containers':[" QCTR(
            "{'requests':{'cpu':'1','memory':'1Gi'},'limits':{'cpu':'1','memory':'1Gi'}"
            "}") "," QCTR("{'limits':{'cpu':'500m','memory':'64Mi'},'requests':{'cpu':'0.5','memory':'64Mi'}}") "]}}",
        "{'spec':{'containers':[" QCTR("{'requests':{'cpu':'1','memory':'1Gi'},'limits':{'cpu':'1','memory':'1Gi'}"
                                       "}") "," QCTR("{'limits':{'cpu':'500m','memory':'64Mi'},'requests':{'cpu':'"
                                                     "0.5','memory':'64Mi'}}") "]},'status':{'phase':'Pending','"
                                                                               "qosClass':'Guaranteed'}}");
    /* a limit without a request of the same size is Burstable; zero requests count as none */
    PREPARE(&R_POD, "{'spec':{'containers':[" QCTR("{'requests':{'cpu':'0'}}") "]}}",
            "{'spec':{'containers':[" QCTR("{'requests':{'cpu':'0'}}") "]},'status':{'phase':'Pending','qosClass':"
                                                                       "'BestEffort'}}");
    PREPARE(&R_POD,
            "{'spec':{'containers':[" QCTR("{'requests':{'cpu':'1','memory':'1Gi'},'limits':{'cpu':'2','memory':"
                                           "'1Gi'}}") "]}}",
            "{'spec':{'containers':[" QCTR("{'requests':{'cpu':'1','memory':'1Gi'},'limits':{'cpu':'2','memory':'1Gi'}"
                                           "}") "]},'status':{'phase':'Pending','qosClass':'Burstable'}}");
    /* other kinds: nothing */
    PREPARE(&R_CM, "{'metadata':{'name':'c'}}", "{'metadata':{'name':'c'}}");
}

/* Malformed shapes do not crash any kind's defaults (nothing useful to default, errors left to validation). */
static void
test_malformed(void **state)
{
    (void)state;
    const struct api_resource *all[] = { &R_NS,     &R_POD, &R_SVC,   &R_EP,     &R_NODE,  &R_PV, &R_PVC, &R_CM,
                                         &R_SECRET, &R_SA,  &R_EVENT, &R_DEPLOY, &R_RS,    &R_DS, &R_STS, &R_JOB,
                                         &R_CJ,     &R_ING, &R_INGC,  &R_EPS,    &R_LEASE, &R_SC, &R_HPA, &R_EVV1 };
    const char *shapes[] = {
        "{}",
        "{'spec':null,'metadata':null,'status':null}",
        "{'spec':[],'metadata':{'name':5,'labels':3},'status':'x','data':1,'stringData':{'a':1}}",
        "{'metadata':{'name':'x','uid':7},'spec':{'type':5,'strategy':{'type':3},'updateStrategy':{'type':4},"
        "'ports':'x','containers':{},'template':{'spec':{'containers':[1,null,{'image':5}]}},'selector':7,"
        "'clusterIPs':[1],'podCIDRs':[2],'metrics':[1],'behavior':{'scaleUp':3}}}",
    };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
            json_t *obj = J(shapes[s]);
            all[i]->defaults(all[i], obj);
            all[i]->defaults(all[i], obj);
            struct api_errors e = { 0 };
            api_validate_meta(all[i], obj, NULL, &e);
            all[i]->validate(all[i], obj, NULL, &e);
            all[i]->validate(all[i], obj, obj, &e);
            api_prepare_create(all[i], obj);
            api_errors_free(&e);
            json_decref(obj);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deployment_golden),
        cmocka_unit_test(test_pod),
        cmocka_unit_test(test_image_pull_policy),
        cmocka_unit_test(test_quantities),
        cmocka_unit_test(test_service),
        cmocka_unit_test(test_workloads),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_core_others),
        cmocka_unit_test(test_other_groups),
        cmocka_unit_test(test_defaults_then_valid),
        cmocka_unit_test(test_prepare_create),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
