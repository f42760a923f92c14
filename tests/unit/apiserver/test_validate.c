/* test_validate.c - the generic metadata validation (api_validate_meta) and every kind's validation
 * (apiserver/validate.c) against upstream Kubernetes 1.33: table-driven cases with the exact field paths, reasons
 * and messages the API server reports, after the kind's defaults ran (as the REST layer does). */
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
#include "kc_fault.h"
#include "kc_json.h"

#include "api_test_kinds.h"

/* ---- upstream's texts ---- */

#define SUB_ERR                                                                                                \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must " \
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "          \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define LABEL_ERR                                                                                               \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and " \
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "          \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define DNS1035_ERR                                                                                         \
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic " \
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "     \
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
#define QNAME_ERR                                                                                         \
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "  \
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define LVALUE_ERR                                                                                               \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "    \
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for " \
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define CMKEY_ERR                                                                                        \
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or " \
    "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
#define PORT_RANGE "must be between 1 and 65535, inclusive"
#define NONNEG     "must be greater than or equal to 0"

/* ---- helpers ---- */

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

/* The reason upstream's ErrorBody implies for a message. */
static const char *
reason_of(const char *msg)
{
    static const struct {
        const char *prefix, *reason;
    } map[] = {
        { "Required value", API_REASON_REQUIRED },
        { "Invalid value", API_REASON_INVALID },
        { "Unsupported value", API_REASON_NOT_SUPPORTED },
        { "Duplicate value", API_REASON_DUPLICATE },
        { "Forbidden", API_REASON_FORBIDDEN },
        { "Too long", API_REASON_TOO_LONG },
        { "Too many", API_REASON_TOO_MANY },
        { "Not found", API_REASON_NOT_FOUND },
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strncmp(msg, map[i].prefix, strlen(map[i].prefix)) == 0)
            return map[i].reason;
    return "?";
}

#define MAXW 12

/* One case: the object (and the stored one for an update) and the errors expected, in order, each as
 * "field: message" (see entry_matches for "@@"). */
struct vcase {
    int line;
    const struct api_resource *r;
    const char *obj;
    const char *old; /* NULL: create */
    const char *want[MAXW];
};

/* Runs defaults, api_validate_meta and the kind's validation as the REST layer does. */
static void
validate(const struct api_resource *r, json_t *obj, json_t *old, struct api_errors *e)
{
    if (old)
        r->defaults(r, old);
    r->defaults(r, obj);
    api_validate_meta(r, obj, old, e);
    r->validate(r, obj, old, e);
}

/* "@@" in an expected entry matches any text (the parts of upstream's values k8c cannot reproduce exactly, or
 * that are too long to spell out). */
static bool
entry_matches(const char *want, const char *got)
{
    const char *w = strstr(want, "@@");
    if (!w)
        return strcmp(want, got) == 0;
    size_t n = (size_t)(w - want);
    if (strncmp(want, got, n) != 0)
        return false;
    for (const char *g = got + n;; g++) {
        if (entry_matches(w + 2, g))
            return true;
        if (!*g)
            return false;
    }
}

static bool
run_case(const struct vcase *c)
{
    json_t *obj = J(c->obj), *old = c->old ? J(c->old) : NULL;
    struct api_errors e = { 0 };
    validate(c->r, obj, old, &e);
    size_t nwant = 0;
    while (nwant < MAXW && c->want[nwant])
        nwant++;
    size_t ngot = json_array_size(e.causes);
    bool ok = ngot == nwant && (size_t)e.n == ngot;
    char got[MAXW + 8][2048];
    for (size_t i = 0; i < ngot && i < MAXW + 8; i++) {
        json_t *cause = json_array_get(e.causes, i);
        const char *f = json_string_value(json_object_get(cause, "field"));
        const char *m = json_string_value(json_object_get(cause, "message"));
        const char *reason = json_string_value(json_object_get(cause, "reason"));
        snprintf(got[i], sizeof(got[i]), "%s: %s", f ? f : "(null)", m ? m : "(null)");
        if (!m || !reason || strcmp(reason, reason_of(m)) != 0) {
            print_error("line %d: cause %zu has reason %s for \"%s\"\n", c->line, i, reason ? reason : "(null)",
                        got[i]);
            ok = false;
        }
        if (i < nwant && !entry_matches(c->want[i], got[i]))
            ok = false;
    }
    if (!ok) {
        print_error("line %d (%s): %d error(s), %zu cause(s)\n", c->line, c->r->kind, e.n, ngot);
        for (size_t i = 0; i < ngot && i < MAXW + 8; i++)
            print_error("  got  %s\n", got[i]);
        for (size_t i = 0; i < nwant; i++)
            print_error("  want %s\n", c->want[i]);
    }
    api_errors_free(&e);
    json_decref(obj);
    json_decref(old);
    return ok;
}

static void
run_cases(const struct vcase *cs, size_t n)
{
    size_t failed = 0;
    for (size_t i = 0; i < n; i++)
        if (!run_case(&cs[i]))
            failed++;
    if (failed) {
        print_error("%zu of %zu cases failed\n", failed, n);
        fail();
    }
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]))

/* ---- objects ---- */

#define META(name)    "'metadata':{'name':'" name "','namespace':'default'}"
#define CTR           "{'name':'c','image':'nginx'}"
#define POD(spec)     "{'apiVersion':'v1','kind':'Pod'," META("p") ",'spec':" spec "}"
#define PODC(ctr)     POD("{'containers':[" ctr "]}")
#define SVC(spec)     "{'apiVersion':'v1','kind':'Service'," META("web") ",'spec':" spec "}"
#define TMPL          "'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':[{'name':'nginx','image':'nginx'}]}}"
#define SEL           "'selector':{'matchLabels':{'app':'web'}}"
#define DEPLOY(extra) "{'apiVersion':'apps/v1','kind':'Deployment'," META("web") ",'spec':{" SEL "," TMPL extra "}}"
#define CM(data)      "{'apiVersion':'v1','kind':'ConfigMap'," META("cm") ",'data':" data "}"
#define A50           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* ---- metadata ---- */

static const struct vcase meta_cases[] = {
    { __LINE__, &R_CM, CM("{}"), NULL, { NULL } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'Web','namespace':'default'}}",
      NULL,
      { "metadata.name: Invalid value: \"Web\": " SUB_ERR } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'namespace':'default'}}",
      NULL,
      { "metadata.name: Required value: name or generateName is required" } },
    /* a name is generated from generateName before validation; with none, both are reported */
    { __LINE__,
      &R_CM,
      "{'metadata':{'generateName':'Web-','namespace':'default'}}",
      NULL,
      { "metadata.generateName: Invalid value: \"Web-\": " SUB_ERR,
        "metadata.name: Required value: name or generateName is required" } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'generateName':'web-','name':'web-x1z9q','namespace':'default'}}",
      NULL,
      { NULL } },
    { __LINE__, &R_CM, "{'metadata':{'name':'a.b.c-d','namespace':'default'}}", NULL, { NULL } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'namespace':'default','name':'" A50 A50 A50 A50 A50 "abcd'}}",
      NULL,
      { "metadata.name: Invalid value: \"aaaa@@\": must be no more than 253 characters" } },
    { __LINE__, &R_CM, "{'metadata':{'namespace':'default','name':'" A50 A50 A50 A50 A50 "abc'}}", NULL, { NULL } },
    /* Service names are DNS-1035 labels: no leading digit, no dots */
    { __LINE__, &R_SVC, SVC("{'ports':[{'port':80}]}"), NULL, { NULL } },
    { __LINE__,
      &R_SVC,
      "{'metadata':{'name':'1web','namespace':'default'},'spec':{'ports':[{'port':80}]}}",
      NULL,
      { "metadata.name: Invalid value: \"1web\": " DNS1035_ERR } },
    { __LINE__,
      &R_SVC,
      "{'metadata':{'name':'web.x','namespace':'default'},'spec':{'ports':[{'port':80}]}}",
      NULL,
      { "metadata.name: Invalid value: \"web.x\": " DNS1035_ERR } },
    /* Namespace names are DNS-1123 labels */
    { __LINE__,
      &R_NS,
      "{'metadata':{'name':'a.b'}}",
      NULL,
      { "metadata.name: Invalid value: \"a.b\": must not contain dots" } },
    { __LINE__, &R_NS, "{'metadata':{'name':'A_b'}}", NULL, { "metadata.name: Invalid value: \"A_b\": " LABEL_ERR } },
    { __LINE__, &R_NS, "{'metadata':{'name':'1abc'}}", NULL, { NULL } },
    /* StatefulSet names are labels too (their pods' hostnames) */
    { __LINE__,
      &R_STS,
      "{'metadata':{'name':'db.x','namespace':'default'},'spec':{" SEL ",'serviceName':'db'," TMPL "}}",
      NULL,
      { "metadata.name: Invalid value: \"db.x\": must not contain dots" } },
    /* Nodes, Pods, Secrets: subdomains */
    { __LINE__, &R_NODE, "{'metadata':{'name':'node-1.example.com'}}", NULL, { NULL } },
    { __LINE__,
      &R_POD,
      "{'metadata':{'name':'p.1','namespace':'default'},'spec':{'containers':[" CTR "]}}",
      NULL,
      { NULL } },
    /* core/v1 Events allow any path segment name */
    { __LINE__,
      &R_EVENT,
      "{'metadata':{'name':'Web.17f3a:x','namespace':'default'},'involvedObject':{'kind':'Pod','name':'web',"
      "'namespace':'default'},'reason':'Started','type':'Normal','source':{'component':'kubelet'}}",
      NULL,
      { NULL } },
    { __LINE__,
      &R_EVENT,
      "{'metadata':{'name':'a/b','namespace':'default'},'involvedObject':{'kind':'Pod','name':'web',"
      "'namespace':'default'},'reason':'Started','type':'Normal','source':{'component':'kubelet'}}",
      NULL,
      { "metadata.name: Invalid value: \"a/b\": may not contain '/'" } },
    /* CronJob names leave room for the job suffix */
    { __LINE__,
      &R_CJ,
      "{'metadata':{'name':'abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij','namespace':'default'},"
      "'spec':{'schedule':'* * * * *','jobTemplate':{'spec':{'template':{'spec':{'restartPolicy':'Never',"
      "'containers':[" CTR "]}}}}}}",
      NULL,
      { "metadata.name: Invalid value: \"abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij\": must be no more "
        "than 52 characters" } },
    /* namespace */
    { __LINE__, &R_CM, "{'metadata':{'name':'cm'}}", NULL, { "metadata.namespace: Required value" } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'Bad_ns'}}",
      NULL,
      { "metadata.namespace: Invalid value: \"Bad_ns\": " LABEL_ERR } },
    { __LINE__,
      &R_NODE,
      "{'metadata':{'name':'n1','namespace':'default'}}",
      NULL,
      { "metadata.namespace: Forbidden: not allowed on this type" } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','generation':-1}}",
      NULL,
      { "metadata.generation: Invalid value: -1: " NONNEG } },
    /* labels */
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','labels':{'app':'web','k8s.io/x':'',"
      "'a.b/c_d':'X.y-z'}}}",
      NULL,
      { NULL } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','labels':{'bad key':'v'}}}",
      NULL,
      { "metadata.labels: Invalid value: \"bad key\": " QNAME_ERR } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','labels':{'app':'-x'}}}",
      NULL,
      { "metadata.labels: Invalid value: \"-x\": " LVALUE_ERR } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','labels':{'app':"
      "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}}}",
      NULL,
      { "metadata.labels: Invalid value: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": must be "
        "no more than 63 characters" } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','labels':{'Bad_Prefix/x':'v'}}}",
      NULL,
      { "metadata.labels: Invalid value: \"Bad_Prefix/x\": prefix part " SUB_ERR } },
    /* annotations: keys in any case, values anything */
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','annotations':{'Example.COM/Note':'any text: at all!'}}}",
      NULL,
      { NULL } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','annotations':{'bad key':'v'}}}",
      NULL,
      { "metadata.annotations: Invalid value: \"bad key\": " QNAME_ERR } },
    /* ownerReferences */
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','ownerReferences':[{'apiVersion':'apps/v1','kind':'ReplicaSet',"
      "'name':'rs','uid':'u1','controller':true}]}}",
      NULL,
      { NULL } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','ownerReferences':[{}]}}",
      NULL,
      { "metadata.ownerReferences.apiVersion: Invalid value: \"\": version must not be empty",
        "metadata.ownerReferences.kind: Invalid value: \"\": must not be empty",
        "metadata.ownerReferences.name: Invalid value: \"\": must not be empty",
        "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty" } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','ownerReferences':[{'apiVersion':'v1','kind':'Event',"
      "'name':'e','uid':'u1'}]}}",
      NULL,
      { "metadata.ownerReferences: Invalid value: v1.OwnerReference{APIVersion:\"v1\", Kind:\"Event\", "
        "Name:\"e\", UID:\"u1\", Controller:(*bool)(nil), BlockOwnerDeletion:(*bool)(nil)}: /v1, "
        "Kind=Event is disallowed from being an owner" } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','ownerReferences':[{'apiVersion':'apps/v1','kind':'ReplicaSet',"
      "'name':'a','uid':'u1','controller':true},{'apiVersion':'apps/v1','kind':'ReplicaSet','name':'b','uid':'u2',"
      "'controller':true}]}}",
      NULL,
      { "metadata.ownerReferences: Invalid value: []v1.OwnerReference{v1.OwnerReference{APIVersion:\"apps/v1\", "
        "Kind:\"ReplicaSet\", Name:\"a\", UID:\"u1\", Controller:(*bool)(0x@@), BlockOwnerDeletion:(*bool)(nil)}, "
        "v1.OwnerReference{APIVersion:\"apps/v1\", Kind:\"ReplicaSet\", Name:\"b\", UID:\"u2\", "
        "Controller:(*bool)(0x@@), BlockOwnerDeletion:(*bool)(nil)}}: Only one reference can have Controller set to "
        "true. Found \"true\" in references for ReplicaSet/a and ReplicaSet/b" } },
    /* finalizers */
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','finalizers':['kubernetes','example.com/cleanup','orphan']}}",
      NULL,
      { NULL } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','finalizers':['bad finalizer']}}",
      NULL,
      { "metadata.finalizers: Invalid value: \"bad finalizer\": " QNAME_ERR,
        "metadata.finalizers[0]: Invalid value: \"bad finalizer\": name is neither a standard finalizer name nor is "
        "it fully qualified" } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','finalizers':['a.b','x/y']}}",
      NULL,
      { "metadata.finalizers[0]: Invalid value: \"a.b\": name is neither a standard finalizer name nor is it fully "
        "qualified" } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','finalizers':['orphan','foregroundDeletion']}}",
      NULL,
      { "metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: finalizer orphan and "
        "foregroundDeletion cannot be both set" } },
    /* Lease uses apimachinery's metadata validation only */
    { __LINE__,
      &R_LEASE,
      "{'metadata':{'name':'l','namespace':'default','finalizers':['plain']},'spec':{}}",
      NULL,
      { NULL } },
    /* managedFields */
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','managedFields':[{'manager':'kubectl','operation':'Patch',"
      "'fieldsType':'FieldsV2'}]}}",
      NULL,
      { "metadata.managedFields[0].operation: Invalid value: \"Patch\": must be `Apply` or `Update`",
        "metadata.managedFields[0].fieldsType: Invalid value: \"FieldsV2\": must be `FieldsV1`" } },
    /* resourceVersion (the storage's parse) */
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','resourceVersion':'12a'}}",
      NULL,
      { "resourceVersion: Invalid value: \"12a\": strconv.ParseUint: parsing \"12a\": invalid syntax" } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','resourceVersion':'99999999999999999999'}}",
      NULL,
      { "resourceVersion: Invalid value: \"99999999999999999999\": strconv.ParseUint: parsing "
        "\"99999999999999999999\": value out of range" } },
    /* updates */
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','uid':'u1','creationTimestamp':'2025-01-01T00:00:00Z',"
      "'labels':{'a':'b'}}}",
      "{'metadata':{'name':'cm','namespace':'default','uid':'u1','creationTimestamp':'2025-01-01T00:00:00Z'}}",
      { NULL } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm2','namespace':'other','uid':'u2','creationTimestamp':'2025-01-02T03:04:05Z'}}",
      "{'metadata':{'name':'cm','namespace':'default','uid':'u1','creationTimestamp':'2025-01-01T00:00:00Z'}}",
      { "metadata.name: Invalid value: \"cm2\": field is immutable",
        "metadata.namespace: Invalid value: \"other\": field is immutable",
        "metadata.uid: Invalid value: \"u2\": field is immutable",
        "metadata.creationTimestamp: Invalid value: 2025-01-02 03:04:05 +0000 UTC: field is immutable" } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','generation':2}}",
      "{'metadata':{'name':'cm','namespace':'default','generation':3}}",
      { "metadata.generation: Invalid value: 2: must not be decremented" } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','finalizers':['a/x','b/y','a/x'],"
      "'deletionTimestamp':'2025-01-01T00:00:00Z'}}",
      "{'metadata':{'name':'cm','namespace':'default','finalizers':['a/"
      "x'],'deletionTimestamp':'2025-01-01T00:00:00Z'}}",
      { "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new "
        "finalizers []string{\"b/y\"}" } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','deletionGracePeriodSeconds':5}}",
      "{'metadata':{'name':'cm','namespace':'default'}}",
      { "metadata.deletionGracePeriodSeconds: Invalid value: 5: field is immutable" } },
    /* on update the labels are checked, the finalizer format only by core's rule */
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default','labels':{'a':'-'},'finalizers':['x']}}",
      "{'metadata':{'name':'cm','namespace':'default'}}",
      { "metadata.labels: Invalid value: \"-\": " LVALUE_ERR,
        "metadata.finalizers[0]: Invalid value: \"x\": name is neither a standard finalizer name nor is it fully "
        "qualified" } },
};

static void
test_meta(void **state)
{
    (void)state;
    RUN(meta_cases);
}

/* The annotation size limit: 256 KiB of keys and values together. */
static void
test_meta_annotation_size(void **state)
{
    (void)state;
    size_t n = 256 * 1024;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'x', n);
    big[n] = '\0';
    for (int over = 0; over < 2; over++) {
        json_t *obj = J("{'metadata':{'name':'cm','namespace':'default','annotations':{}}}");
        /* key "a" (1 byte) + value: exactly the limit, then one byte over */
        big[n - 1 + over] = '\0';
        json_object_set_new(json_object_get(json_object_get(obj, "metadata"), "annotations"), "a", json_string(big));
        struct api_errors e = { 0 };
        api_validate_meta(&R_CM, obj, NULL, &e);
        if (!over) {
            assert_int_equal(e.n, 0);
        } else {
            assert_int_equal(e.n, 1);
            json_t *c = json_array_get(e.causes, 0);
            assert_string_equal(json_string_value(json_object_get(c, "field")), "metadata.annotations");
            assert_string_equal(json_string_value(json_object_get(c, "reason")), API_REASON_TOO_LONG);
            assert_string_equal(json_string_value(json_object_get(c, "message")),
                                "Too long: may not be more than 262144 bytes");
        }
        big[n - 1 + over] = 'x';
        api_errors_free(&e);
        json_decref(obj);
    }
    free(big);
}

static void
test_dns_checks(void **state)
{
    (void)state;
    assert_null(api_check_dns1123_label("web-1"));
    assert_string_equal(api_check_dns1123_label("Web"), LABEL_ERR);
    assert_string_equal(api_check_dns1123_label("a.b"), "must not contain dots");
    assert_null(api_check_dns1123_subdomain("a.b-c.d"));
    assert_string_equal(api_check_dns1123_subdomain("a..b"), SUB_ERR);
    assert_string_equal(api_check_dns1123_subdomain(""), SUB_ERR);
    char label64[65];
    memset(label64, 'a', 64);
    label64[64] = '\0';
    assert_string_equal(api_check_dns1123_label(label64), "must be no more than 63 characters");
    assert_null(api_check_dns1123_subdomain(label64));

    struct api_msgs m;
    api_msgs_dns1035_label("a1", &m);
    assert_int_equal(m.n, 0);
    api_msgs_dns1035_label("1a", &m);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.msg[0], DNS1035_ERR);
    api_msgs_wildcard_subdomain("*.example.com", &m);
    assert_int_equal(m.n, 0);
    api_msgs_wildcard_subdomain("*.*.example.com", &m);
    assert_int_equal(m.n, 1);
    api_msgs_port_name("http", &m);
    assert_int_equal(m.n, 0);
    api_msgs_port_name("Http--x-1234567890", &m);
    assert_int_equal(m.n, 3);
    assert_string_equal(m.msg[0], "must be no more than 15 characters");
    assert_string_equal(m.msg[1], "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    assert_string_equal(m.msg[2], "must not contain consecutive hyphens");
    api_msgs_port_name("123", &m);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.msg[0], "must contain at least one letter (a-z)");
    api_msgs_port_name("-ab", &m);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.msg[0], "must not begin or end with a hyphen");
    api_msgs_config_map_key("..x", &m);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.msg[0], "must not start with '..'");
    api_msgs_config_map_key("a b", &m);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.msg[0], CMKEY_ERR);
    api_msgs_percent("25%", &m);
    assert_int_equal(m.n, 0);
    api_msgs_percent("25", &m);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.msg[0], "a valid percent string must be a numeric string followed by an ending '%' (e.g. "
                                  "'1%',  or '93%', regex used for validation is '[0-9]+%')");
    api_msgs_env_var_name("MY_VAR.1-x", &m);
    assert_int_equal(m.n, 0);
    api_msgs_env_var_name("A=B", &m);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.msg[0],
                        "a valid environment variable name must consist only of printable ASCII characters other "
                        "than '='");

    assert_int_equal(api_parse_ip("10.0.0.1", NULL), 4);
    assert_int_equal(api_parse_ip("010.000.000.001", NULL), 4);
    assert_int_equal(api_parse_ip("2001:db8::1", NULL), 6);
    assert_int_equal(api_parse_ip("::ffff:10.0.0.1", NULL), 4);
    assert_int_equal(api_parse_ip("10.0.0.256", NULL), 0);
    assert_int_equal(api_parse_ip("fe80::1%eth0", NULL), 0);
    assert_int_equal(api_parse_cidr("10.0.0.0/8"), 4);
    assert_int_equal(api_parse_cidr("2001:db8::/64"), 6);
    assert_int_equal(api_parse_cidr("10.0.0.0/33"), 0);
    assert_int_equal(api_parse_cidr("10.0.0.0"), 0);
}

static void
test_go_printing(void **state)
{
    (void)state;
    struct api_sb sb = { 0 };
    api_go_quote(&sb, "a\"b\\c\n\x01\xff\xc3\xa9");
    assert_string_equal(api_sb_str(&sb), "\"a\\\"b\\\\c\\n\\x01\\xffé\"");
    api_sb_free(&sb);
    json_t *m = J("{'b':'2','a':'1'}");
    api_go_string_map(&sb, m);
    assert_string_equal(api_sb_str(&sb), "map[string]string{\"a\":\"1\", \"b\":\"2\"}");
    api_sb_free(&sb);
    json_decref(m);
    api_go_string_map(&sb, NULL);
    assert_string_equal(api_sb_str(&sb), "map[string]string(nil)");
    api_sb_free(&sb);
    json_t *a = J("['x','y']");
    api_go_string_slice(&sb, a);
    assert_string_equal(api_sb_str(&sb), "[]string{\"x\", \"y\"}");
    api_sb_free(&sb);
    json_decref(a);

    char p[API_PATH_MAX];
    api_path_child(p, "", "spec");
    api_path_child(p, p, "containers");
    api_path_index(p, p, 3);
    api_path_child(p, p, "env");
    assert_string_equal(p, "spec.containers[3].env");
    api_path_key(p, "data", "tls.crt");
    assert_string_equal(p, "data[tls.crt]");
    char q[API_PATH_MAX];
    assert_string_equal(api_path_child(q, "spec.containers[3]", "image"), "spec.containers[3].image");
    assert_string_equal(api_path_child(q, NULL, "spec"), "spec");
    /* paths longer than API_PATH_MAX - 1 bytes are cut there, base first */
    char big[API_PATH_MAX + 10];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(strlen(api_path_child(q, big, "x")), API_PATH_MAX - 1);
    assert_memory_equal(q, big, API_PATH_MAX - 1);
    big[API_PATH_MAX - 3] = '\0'; /* base of 1021 bytes: room for "." and one byte of the child */
    assert_string_equal(api_path_child(q, big, "xyz") + API_PATH_MAX - 3, ".x");
    assert_int_equal(strlen(api_path_child(p, p, "tail")), strlen("data[tls.crt].tail"));
}

static void
test_errors_add(void **state)
{
    (void)state;
    struct api_errors e = { 0 };
    api_errors_add(&e, API_REASON_REQUIRED, "spec.x", "Required value");
    api_errors_addf(&e, API_REASON_INVALID, "spec.y", "Invalid value: %d: %s", -1, NONNEG);
    assert_int_equal(e.n, 2);
    assert_int_equal(json_array_size(e.causes), 2);
    json_t *c = json_array_get(e.causes, 1);
    assert_string_equal(json_string_value(json_object_get(c, "reason")), API_REASON_INVALID);
    assert_string_equal(json_string_value(json_object_get(c, "field")), "spec.y");
    assert_string_equal(json_string_value(json_object_get(c, "message")), "Invalid value: -1: " NONNEG);
    api_errors_free(&e);
    assert_null(e.causes);
    assert_int_equal(e.n, 0);
}

/* ---- Pod ---- */

static const struct vcase pod_cases[] = {
    { __LINE__, &R_POD, PODC(CTR), NULL, { NULL } },
    { __LINE__, &R_POD, POD("{}"), NULL, { "spec.containers: Required value" } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'Web','image':'nginx'}"),
      NULL,
      { "spec.containers[0].name: Invalid value: \"Web\": " LABEL_ERR } },
    { __LINE__, &R_POD, PODC("{'image':'nginx'}"), NULL, { "spec.containers[0].name: Required value" } },
    { __LINE__, &R_POD, PODC(CTR "," CTR), NULL, { "spec.containers[1].name: Duplicate value: \"c\"" } },
    { __LINE__, &R_POD, PODC("{'name':'c'}"), NULL, { "spec.containers[0].image: Required value" } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':' nginx'}"),
      NULL,
      { "spec.containers[0].image: Invalid value: \" nginx\": must not have leading or trailing whitespace" } },
    /* ports */
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','ports':[{'containerPort':80,'name':'http'},{'containerPort':443,"
           "'name':'https','protocol':'TCP'},{'containerPort':53,'protocol':'UDP'}]}"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','ports':[{'containerPort':0}]}"),
      NULL,
      { "spec.containers[0].ports[0].containerPort: Required value" } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','ports':[{'containerPort':70000,'hostPort':-1}]}"),
      NULL,
      { "spec.containers[0].ports[0].containerPort: Invalid value: 70000: " PORT_RANGE,
        "spec.containers[0].ports[0].hostPort: Invalid value: -1: " PORT_RANGE } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','ports':[{'containerPort':80,'protocol':'HTTP'}]}"),
      NULL,
      { "spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", "
        "\"UDP\"" } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','ports':[{'containerPort':80,'name':'Http'},{'containerPort':81,"
           "'name':'web'},{'containerPort':82,'name':'web'}]}"),
      NULL,
      { "spec.containers[0].ports[0].name: Invalid value: \"Http\": must contain only alpha-numeric characters (a-z, "
        "0-9), and hyphens (-)",
        "spec.containers[0].ports[2].name: Duplicate value: \"web\"" } },
    /* enums */
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','imagePullPolicy':'Sometimes'}"),
      NULL,
      { "spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
        "\"IfNotPresent\", \"Never\"" } },
    { __LINE__,
      &R_POD,
      POD("{'restartPolicy':'Sometimes','containers':[" CTR "]}"),
      NULL,
      { "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", "
        "\"Never\"" } },
    { __LINE__,
      &R_POD,
      POD("{'dnsPolicy':'Foo','containers':[" CTR "]}"),
      NULL,
      { "spec.dnsPolicy: Unsupported value: \"Foo\": supported values: \"ClusterFirstWithHostNet\", "
        "\"ClusterFirst\", \"Default\", \"None\"" } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','terminationMessagePolicy':'Foo'}"),
      NULL,
      { "spec.containers[0].terminationMessagePolicy: Unsupported value: \"Foo\": supported values: \"File\", "
        "\"FallbackToLogsOnError\"" } },
    /* env */
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','env':[{'name':'A','value':'1'},{'name':'my.var-1'},{'name':'POD',"
           "'valueFrom':{'fieldRef':{'fieldPath':'metadata.name'}}}]}"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','env':[{'value':'1'},{'name':'A=B'},{'name':'X','value':'1',"
           "'valueFrom':{'fieldRef':{'fieldPath':'metadata.name'}}},{'name':'Y','valueFrom':{}}]}"),
      NULL,
      { "spec.containers[0].env[0].name: Required value",
        "spec.containers[0].env[1].name: Invalid value: \"A=B\": a valid environment variable name must consist only "
        "of printable ASCII characters other than '='",
        "spec.containers[0].env[2].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty",
        "spec.containers[0].env[3].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, "
        "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`" } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','env':[{'name':'X','valueFrom':{'fieldRef':{'fieldPath':'spec.foo'}}},"
           "{'name':'Y','valueFrom':{'fieldRef':{'fieldPath':'spec.restartPolicy'}}}]}"),
      NULL,
      { "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: \"spec.foo\": error converting "
        "fieldPath: field label not supported: spec.foo",
        "spec.containers[0].env[1].valueFrom.fieldRef.fieldPath: Unsupported value: \"spec.restartPolicy\": "
        "supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", "
        "\"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", "
        "\"status.podIPs\"" } },
    /* volumes and mounts */
    { __LINE__,
      &R_POD,
      POD("{'volumes':[{'name':'data','emptyDir':{}},{'name':'cfg','configMap':{'name':'cm'}}],'containers':[{'name':"
          "'c','image':'nginx','volumeMounts':[{'name':'data','mountPath':'/data'},{'name':'cfg','mountPath':'/etc/x',"
          "'readOnly':true}]}]}"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_POD,
      POD("{'volumes':[{'name':'v','emptyDir':{}},{'name':'v','emptyDir':{}}],'containers':[" CTR "]}"),
      NULL,
      { "spec.volumes[1].name: Duplicate value: \"v\"" } },
    { __LINE__,
      &R_POD,
      POD("{'volumes':[{'name':'Bad_V','emptyDir':{}}],'containers':[" CTR "]}"),
      NULL,
      { "spec.volumes[0].name: Invalid value: \"Bad_V\": " LABEL_ERR } },
    { __LINE__,
      &R_POD,
      POD("{'volumes':[{'name':'v','emptyDir':{},'configMap':{'name':'cm'}}],'containers':[" CTR "]}"),
      NULL,
      { "spec.volumes[0].configMap: Forbidden: may not specify more than 1 volume type" } },
    { __LINE__, /* upstream's order of the sources, not the body's; a null source is none */
      &R_POD,
      POD("{'volumes':[{'name':'v','configMap':{'name':'cm'},'secret':null,'emptyDir':{}}],'containers':[" CTR "]}"),
      NULL,
      { "spec.volumes[0].configMap: Forbidden: may not specify more than 1 volume type" } },
    { __LINE__,
      &R_POD,
      POD("{'volumes':[{'name':'v','hostPath':{'path':''}}],'containers':[" CTR "]}"),
      NULL,
      { "spec.volumes[0].hostPath.path: Required value" } },
    { __LINE__,
      &R_POD,
      POD("{'volumes':[{'name':'v','configMap':{}}],'containers':[" CTR "]}"),
      NULL,
      { "spec.volumes[0].configMap.name: Required value" } },
    { __LINE__,
      &R_POD,
      POD("{'volumes':[{'name':'v','persistentVolumeClaim':{}}],'containers':[" CTR "]}"),
      NULL,
      { "spec.volumes[0].persistentVolumeClaim.claimName: Required value" } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','volumeMounts':[{'name':'data','mountPath':'/data'}]}"),
      NULL,
      { "spec.containers[0].volumeMounts[0].name: Not found: \"data\"" } },
    { __LINE__,
      &R_POD,
      POD("{'volumes':[{'name':'data','emptyDir':{}}],'containers':[{'name':'c','image':'nginx','volumeMounts':"
          "[{'name':'data'},{'name':'data','mountPath':'/a'},{'name':'data','mountPath':'/a'}]}]}"),
      NULL,
      { "spec.containers[0].volumeMounts[0].mountPath: Required value",
        "spec.containers[0].volumeMounts[2].mountPath: Invalid value: \"/a\": must be unique" } },
    /* the duplicate checks past their first 16 entries or 512 bytes (api_seen moves to a jansson object) */
    { __LINE__,
      &R_POD,
      PODC(
          "{'name':'c','image':'nginx','ports':[{'containerPort':8000,'name':'p0'},{'containerPort':8001,'name':'p1'},{"
          "'containerPort':8002,'name':'p2'},{'containerPort':8003,'name':'p3'},{'containerPort':8004,'name':'p4'},{'"
          "containerPort':8005,'name':'p5'},{'containerPort':8006,'name':'p6'},{'containerPort':8007,'name':'p7'},{'"
          "containerPort':8008,'name':'p8'},{'containerPort':8009,'name':'p9'},{'containerPort':8010,'name':'p10'},{'"
          "containerPort':8011,'name':'p11'},{'containerPort':8012,'name':'p12'},{'containerPort':8013,'name':'p13'},{'"
          "containerPort':8014,'name':'p14'},{'containerPort':8015,'name':'p15'},{'containerPort':8016,'name':'p16'},{'"
          "containerPort':8017,'name':'p17'},{'containerPort':9000,'name':'p3'},{'containerPort':9001,'name':'p17'}]}"),
      NULL,
      { "spec.containers[0].ports[18].name: Duplicate value: \"p3\"",
        "spec.containers[0].ports[19].name: Duplicate value: \"p17\"" } },
    { __LINE__,
      &R_POD,
      POD("{'volumes':[{'name':'data','emptyDir':{}}],'containers':[{'name':'c','image':'nginx','volumeMounts':"
          "[{'name':'data','mountPath':'/"
          "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm0'},{'name':'data','mountPath':'/"
          "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm1'},{'name':'data','mountPath':'/"
          "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm2'},{'name':'data','mountPath':'/"
          "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm3'},{'name':'data','mountPath':'/"
          "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm4'},{'name':'data','mountPath':'/"
          "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm5'},{'name':'data','mountPath':'/"
          "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm6'},{'name':'data','mountPath':'/"
          "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm7'},{'name':'data','mountPath':'/"
          "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm0'}]}]}"),
      NULL,
      { "spec.containers[0].volumeMounts[8].mountPath: Invalid value: "
        "\"/mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm0\": must be unique" } },
    /* checkHostPortConflicts: across the containers; each init container on its own, as its list's item 0 */
    { __LINE__,
      &R_POD,
      POD("{'containers':[{'name':'a','image':'nginx','ports':[{'containerPort':80,'hostPort':8080}]},"
          "{'name':'b','image':'nginx','ports':[{'containerPort':81,'hostPort':8081},{'containerPort':80,"
          "'hostPort':8080}]}],'initContainers':[{'name':'i','image':'nginx','ports':[{'containerPort':80,"
          "'hostPort':8080},{'containerPort':90,'hostPort':8080,'protocol':'UDP'},{'containerPort':91,"
          "'hostPort':8080,'protocol':'UDP'}]}]}"),
      NULL,
      { "spec.containers[1].ports[1].hostPort: Duplicate value: \"TCP//8080\"",
        "spec.initContainers[0].ports[2].hostPort: Duplicate value: \"UDP//8080\"" } },
    /* resources */
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','resources':{'requests':{'cpu':'100m','memory':'64Mi'},'limits':{'cpu':'1',"
           "'memory':'128Mi'}}}"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','resources':{'requests':{'cpu':'2'},'limits':{'cpu':'1'}}}"),
      NULL,
      { "spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of "
        "1" } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','resources':{'limits':{'memory':'-1'}}}"),
      NULL,
      { "spec.containers[0].resources.limits[memory]: Invalid value: \"-1\": " NONNEG,
        "spec.containers[0].resources.requests[memory]: Invalid value: \"-1\": " NONNEG } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','resources':{'limits':{'foo':'1'}}}"),
      NULL,
      { "spec.containers[0].resources.limits[foo]: Invalid value: foo: must be a standard resource type or fully "
        "qualified",
        "spec.containers[0].resources.limits[foo]: Invalid value: foo: must be a standard resource for containers",
        "spec.containers[0].resources.requests[foo]: Invalid value: foo: must be a standard resource type or fully "
        "qualified",
        "spec.containers[0].resources.requests[foo]: Invalid value: foo: must be a standard resource for "
        "containers" } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','resources':{'limits':{'example.com/gpu':'1','pods':'1'}}}"),
      NULL,
      { "spec.containers[0].resources.limits[pods]: Invalid value: pods: must be a standard resource for containers",
        "spec.containers[0].resources.requests[pods]: Invalid value: pods: must be a standard resource for "
        "containers" } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','resources':{'requests':{'example.com/gpu':'1'},'limits':{'example.com/gpu':"
           "'2'}}}"),
      NULL,
      { "spec.containers[0].resources.requests: Invalid value: \"1\": must be equal to example.com/gpu limit of 2" } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','resources':{'requests':{'cpu':'abc'}}}"),
      NULL,
      { "spec.containers[0].resources.requests[cpu]: Invalid value: \"abc\": quantities must match the regular "
        "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" } },
    /* probes */
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','livenessProbe':{'httpGet':{'port':80}},'readinessProbe':{'tcpSocket':{"
           "'port':'http'}}}"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','livenessProbe':{}}"),
      NULL,
      { "spec.containers[0].livenessProbe: Required value: must specify a handler type" } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','image':'nginx','livenessProbe':{'httpGet':{'port':0},'successThreshold':2}}"),
      NULL,
      { "spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: " PORT_RANGE,
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1" } },
    /* pod-level fields */
    { __LINE__,
      &R_POD,
      POD("{'nodeName':'Bad_Node','containers':[" CTR "]}"),
      NULL,
      { "spec.nodeName: Invalid value: \"Bad_Node\": " SUB_ERR } },
    { __LINE__,
      &R_POD,
      POD("{'activeDeadlineSeconds':0,'containers':[" CTR "]}"),
      NULL,
      { "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive" } },
    { __LINE__,
      &R_POD,
      POD("{'nodeSelector':{'disk':'-ssd'},'containers':[" CTR "]}"),
      NULL,
      { "spec.nodeSelector: Invalid value: \"-ssd\": " LVALUE_ERR } },
    { __LINE__,
      &R_POD,
      POD("{'serviceAccountName':'My_SA','containers':[" CTR "]}"),
      NULL,
      { "spec.serviceAccountName: Invalid value: \"My_SA\": " SUB_ERR } },
    { __LINE__,
      &R_POD,
      POD("{'tolerations':[{'key':'k','operator':'Exists','value':'v'},{'operator':'Equal','value':'v'},{'key':'k',"
          "'effect':'Sometimes'}],'containers':[" CTR "]}"),
      NULL,
      { "spec.tolerations[0].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'",
        "spec.tolerations[1].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which "
        "means \"match all values and all keys\"",
        "spec.tolerations[2].effect: Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", "
        "\"PreferNoSchedule\", \"NoExecute\"" } },
    { __LINE__,
      &R_POD,
      POD("{'hostAliases':[{'ip':'10.0.0.300','hostnames':['a.b']}],'containers':[" CTR "]}"),
      NULL,
      { "spec.hostAliases[0].ip: Invalid value: \"10.0.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or "
        "2001:db8::ffff)" } },
    { __LINE__,
      &R_POD,
      POD("{'initContainers':[" CTR "],'containers':[" CTR "]}"),
      NULL,
      { "spec.initContainers[0].name: Duplicate value: \"c\"" } },
    { __LINE__,
      &R_POD,
      POD("{'initContainers':[{'name':'i','image':'busybox','restartPolicy':'Always'}],'containers':[" CTR "]}"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_POD,
      POD("{'initContainers':[{'name':'i','image':'busybox','readinessProbe':{'exec':{'command':['x']}}}],"
          "'containers':[" CTR "]}"),
      NULL,
      { "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without "
        "restartPolicy=Always" } },
    /* updates */
    /* (a client sends back the stored fields, imagePullPolicy included) */
    { __LINE__, &R_POD, PODC("{'name':'c','image':'nginx:1.27','imagePullPolicy':'Always'}"), PODC(CTR), { NULL } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c2','image':'nginx'}"),
      PODC(CTR),
      { "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
        "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"
        "@@spec.containers[0].name@@" } },
    { __LINE__,
      &R_POD,
      PODC(CTR ","
               "{'name':'d','image':'nginx'}"),
      PODC(CTR),
      { "spec.containers: Forbidden: pod updates may not add or remove containers" } },
    { __LINE__,
      &R_POD,
      PODC("{'name':'c','imagePullPolicy':'Always'}"),
      PODC(CTR),
      { "spec.containers[0].image: Required value", "spec.containers[0].image: Required value" } },
    { __LINE__,
      &R_POD,
      POD("{'activeDeadlineSeconds':30,'containers':[" CTR "]}"),
      POD("{'activeDeadlineSeconds':20,'containers':[" CTR "]}"),
      { "spec.activeDeadlineSeconds: Invalid value: 30: must be less than or equal to previous value" } },
    { __LINE__,
      &R_POD,
      POD("{'activeDeadlineSeconds':10,'containers':[" CTR "]}"),
      POD("{'activeDeadlineSeconds':20,'containers':[" CTR "]}"),
      { NULL } },
    { __LINE__,
      &R_POD,
      POD("{'tolerations':[{'key':'a','operator':'Exists'},{'key':'b','operator':'Exists'}],'containers':[" CTR "]}"),
      POD("{'tolerations':[{'key':'a','operator':'Exists'}],'containers':[" CTR "]}"),
      { NULL } },
    { __LINE__,
      &R_POD,
      POD("{'tolerations':[{'key':'b','operator':'Exists'}],'containers':[" CTR "]}"),
      POD("{'tolerations':[{'key':'a','operator':'Exists'}],'containers':[" CTR "]}"),
      { "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds" } },
};

static void
test_pod(void **state)
{
    (void)state;
    RUN(pod_cases);
}

/* ---- Service, Endpoints ---- */

static const struct vcase service_cases[] = {
    { __LINE__, &R_SVC, SVC("{'selector':{'app':'web'},'ports':[{'port':80,'targetPort':8080}]}"), NULL, { NULL } },
    { __LINE__,
      &R_SVC,
      SVC("{'ports':[{'name':'http','port':80,'targetPort':'http'},{'name':'dns','port':53,"
          "'protocol':'UDP'}]}"),
      NULL,
      { NULL } },
    { __LINE__, &R_SVC, SVC("{}"), NULL, { "spec.ports: Required value" } },
    /* headless services may go without ports */
    { __LINE__, &R_SVC, SVC("{'clusterIP':'None'}"), NULL, { NULL } },
    { __LINE__,
      &R_SVC,
      SVC("{'ports':[{'port':0}]}"),
      NULL,
      { "spec.ports[0].port: Invalid value: 0: " PORT_RANGE,
        "spec.ports[0].targetPort: Invalid value: 0: " PORT_RANGE } },
    { __LINE__,
      &R_SVC,
      SVC("{'ports':[{'port':70000}]}"),
      NULL,
      { "spec.ports[0].port: Invalid value: 70000: " PORT_RANGE,
        "spec.ports[0].targetPort: Invalid value: 70000: " PORT_RANGE } },
    { __LINE__,
      &R_SVC,
      SVC("{'ports':[{'port':80,'targetPort':'Http'}]}"),
      NULL,
      { "spec.ports[0].targetPort: Invalid value: \"Http\": must contain only alpha-numeric characters (a-z, 0-9), "
        "and hyphens (-)" } },
    { __LINE__,
      &R_SVC,
      SVC("{'ports':[{'port':80,'protocol':'HTTP'}]}"),
      NULL,
      { "spec.ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"" } },
    { __LINE__,
      &R_SVC,
      SVC("{'type':'Foo','ports':[{'port':80}]}"),
      NULL,
      { "spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\", \"ExternalName\", "
        "\"LoadBalancer\", \"NodePort\"" } },
    { __LINE__,
      &R_SVC,
      SVC("{'sessionAffinity':'Sticky','ports':[{'port':80}]}"),
      NULL,
      { "spec.sessionAffinity: Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\"" } },
    { __LINE__, &R_SVC, SVC("{'sessionAffinity':'ClientIP','ports':[{'port':80}]}"), NULL, { NULL } },
    { __LINE__,
      &R_SVC,
      SVC("{'ports':[{'port':80,'nodePort':30080}]}"),
      NULL,
      { "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'" } },
    { __LINE__, &R_SVC, SVC("{'type':'NodePort','ports':[{'port':80,'nodePort':30080}]}"), NULL, { NULL } },
    { __LINE__,
      &R_SVC,
      SVC("{'type':'NodePort','ports':[{'port':80,'nodePort':80}]}"),
      NULL,
      { "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports "
        "is 30000-32767" } },
    { __LINE__, &R_SVC, SVC("{'type':'ExternalName','externalName':'db.example.com'}"), NULL, { NULL } },
    { __LINE__, &R_SVC, SVC("{'type':'ExternalName'}"), NULL, { "spec.externalName: Required value" } },
    { __LINE__,
      &R_SVC,
      SVC("{'type':'ExternalName','externalName':'Bad_Name'}"),
      NULL,
      { "spec.externalName: Invalid value: \"Bad_Name\": " SUB_ERR } },
    { __LINE__,
      &R_SVC,
      SVC("{'ports':[{'port':80},{'port':81}]}"),
      NULL,
      { "spec.ports[0].name: Required value", "spec.ports[1].name: Required value" } },
    { __LINE__,
      &R_SVC,
      SVC("{'ports':[{'name':'a','port':80},{'name':'a','port':81}]}"),
      NULL,
      { "spec.ports[1].name: Duplicate value: \"a\"" } },
    { __LINE__,
      &R_SVC,
      SVC("{'ports':[{'name':'a','port':80},{'name':'b','port':80}]}"),
      NULL,
      { "spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), "
        "Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}" } },
    { __LINE__,
      &R_SVC,
      SVC("{'selector':{'app':'-x'},'ports':[{'port':80}]}"),
      NULL,
      { "spec.selector: Invalid value: \"-x\": " LVALUE_ERR } },
    { __LINE__,
      &R_SVC,
      SVC("{'clusterIP':'10.0.0.999','ports':[{'port':80}]}"),
      NULL,
      { "spec.clusterIPs[0]: Invalid value: \"10.0.0.999\": must be a valid IP address, (e.g. 10.9.8.7 or "
        "2001:db8::ffff)" } },
    /* updates: the cluster IP stays */
    { __LINE__,
      &R_SVC,
      SVC("{'clusterIP':'10.96.0.10','ports':[{'port':81}]}"),
      SVC("{'clusterIP':'10.96.0.10','ports':[{'port':80}]}"),
      { NULL } },
    { __LINE__,
      &R_SVC,
      SVC("{'clusterIP':'10.96.0.11','clusterIPs':['10.96.0.11'],'ports':[{'port':80}]}"),
      SVC("{'clusterIP':'10.96.0.10','clusterIPs':['10.96.0.10'],'ports':[{'port':80}]}"),
      { "spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.11\"}: may not change once set" } },
};

static void
test_service(void **state)
{
    (void)state;
    RUN(service_cases);
}

#define EP(subsets) "{'apiVersion':'v1','kind':'Endpoints'," META("web") ",'subsets':" subsets "}"

static const struct vcase endpoints_cases[] = {
    { __LINE__, &R_EP, EP("[{'addresses':[{'ip':'10.1.0.5'}],'ports':[{'port':80}]}]"), NULL, { NULL } },
    { __LINE__, &R_EP, "{'metadata':{'name':'web','namespace':'default'}}", NULL, { NULL } },
    { __LINE__,
      &R_EP,
      EP("[{'addresses':[{'ip':'10.1.0.300'}],'ports':[{'port':0,'protocol':'X'}]}]"),
      NULL,
      { "subsets[0].addresses[0].ip: Invalid value: \"10.1.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or "
        "2001:db8::ffff)",
        "subsets[0].addresses[0].ip: Invalid value: \"10.1.0.300\": must be a valid IP address",
        "subsets[0].ports[0].port: Invalid value: 0: " PORT_RANGE,
        "subsets[0].ports[0].protocol: Unsupported value: \"X\": supported values: \"SCTP\", \"TCP\", \"UDP\"" } },
    { __LINE__,
      &R_EP,
      EP("[{'addresses':[{'ip':'127.0.0.1'}],'ports':[{'port':80},{'port':81}]}]"),
      NULL,
      { "subsets[0].addresses[0].ip: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, "
        "::1/128)",
        "subsets[0].ports[0].name: Required value", "subsets[0].ports[1].name: Required value" } },
};

static void
test_endpoints(void **state)
{
    (void)state;
    RUN(endpoints_cases);
}

/* ---- Node, Namespace, PV, PVC ---- */

#define PV(spec)  "{'apiVersion':'v1','kind':'PersistentVolume','metadata':{'name':'pv1'},'spec':" spec "}"
#define PVC(spec) "{'apiVersion':'v1','kind':'PersistentVolumeClaim'," META("data") ",'spec':" spec "}"

static const struct vcase storage_cases[] = {
    { __LINE__,
      &R_NODE,
      "{'metadata':{'name':'n1'},'spec':{'podCIDR':'10.244.0.0/24','taints':[{'key':'k',"
      "'effect':'NoSchedule'}]}}",
      NULL,
      { NULL } },
    { __LINE__,
      &R_NODE,
      "{'metadata':{'name':'n1'},'spec':{'taints':[{'key':'k','effect':'Sometimes'}]}}",
      NULL,
      /* upstream's ValidateNode reports the taints under "metadata" */
      { "metadata.taints[0].effect: Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", "
        "\"PreferNoSchedule\", \"NoExecute\"" } },
    { __LINE__,
      &R_NODE,
      "{'metadata':{'name':'n1'},'spec':{'podCIDR':'10.244.0.0'}}",
      NULL,
      { "spec.podCIDRs[0]: Invalid value: \"10.244.0.0\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or "
        "2001:db8::/64)" } },
    { __LINE__, &R_NS, "{'metadata':{'name':'team-a'},'spec':{'finalizers':['kubernetes']}}", NULL, { NULL } },
    { __LINE__,
      &R_NS,
      "{'metadata':{'name':'team-a'},'spec':{'finalizers':['plain']}}",
      NULL,
      { "spec.finalizers: Invalid value: \"plain\": name is neither a standard finalizer name nor is it fully "
        "qualified" } },
    /* PersistentVolume */
    { __LINE__,
      &R_PV,
      PV("{'capacity':{'storage':'10Gi'},'accessModes':['ReadWriteOnce'],'hostPath':{'path':'/mnt/data'}}"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_PV,
      PV("{'hostPath':{'path':'/mnt/data'}}"),
      NULL,
      { "spec.accessModes: Required value", "spec.capacity: Required value",
        "spec.capacity: Unsupported value: core.ResourceList(nil): supported values: \"storage\"" } },
    { __LINE__,
      &R_PV,
      PV("{'capacity':{'storage':'10Gi'},'accessModes':['ReadWriteSometimes']}"),
      NULL,
      { "spec.accessModes: Unsupported value: \"ReadWriteSometimes\": supported values: \"ReadOnlyMany\", "
        "\"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"",
        "spec: Required value: must specify a volume type" } },
    { __LINE__,
      &R_PV,
      PV("{'capacity':{'storage':'10Gi'},'accessModes':['ReadWriteOnce'],'hostPath':{'path':'/a'},'nfs':{'server':"
         "'s','path':'/b'}}"),
      NULL,
      { "spec.nfs: Forbidden: may not specify more than 1 volume type" } },
    { __LINE__,
      &R_PV,
      PV("{'capacity':{'storage':'10Gi'},'accessModes':['ReadWriteOnce'],'hostPath':{'path':'/a'},"
         "'persistentVolumeReclaimPolicy':'Keep'}"),
      NULL,
      { "spec.persistentVolumeReclaimPolicy: Unsupported value: \"Keep\": supported values: \"Delete\", "
        "\"Recycle\", \"Retain\"" } },
    { __LINE__,
      &R_PV,
      PV("{'capacity':{'storage':'10Gi'},'accessModes':['ReadWriteOnce'],'hostPath':{'path':'/a'},"
         "'volumeMode':'Raw'}"),
      NULL,
      { "spec.volumeMode: Unsupported value: \"Raw\": supported values: \"Block\", \"Filesystem\"" } },
    /* PersistentVolumeClaim */
    { __LINE__,
      &R_PVC,
      PVC("{'accessModes':['ReadWriteOnce'],'resources':{'requests':{'storage':'1Gi'}}}"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_PVC,
      PVC("{}"),
      NULL,
      { "spec.accessModes: Required value: at least 1 access mode is required",
        "spec.resources[storage]: Required value" } },
    { __LINE__,
      &R_PVC,
      PVC("{'accessModes':['ReadWriteOnce'],'resources':{'requests':{'storage':'0'}},'volumeMode':'Raw'}"),
      NULL,
      { "spec.resources[storage]: Invalid value: \"0\": must be greater than zero",
        "spec.volumeMode: Unsupported value: \"Raw\": supported values: \"Block\", \"Filesystem\"" } },
};

static void
test_node_namespace_storage(void **state)
{
    (void)state;
    RUN(storage_cases);
}

/* ---- ConfigMap, Secret, ServiceAccount ---- */

#define SECRET(rest) "{'apiVersion':'v1','kind':'Secret'," META("s") rest "}"

static const struct vcase config_cases[] = {
    { __LINE__, &R_CM, CM("{'a.b-c_D':'1','.dot':'x'}"), NULL, { NULL } },
    { __LINE__, &R_CM, CM("{'a b':'1'}"), NULL, { "data[a b]: Invalid value: \"a b\": " CMKEY_ERR } },
    { __LINE__, &R_CM, CM("{'..':'1'}"), NULL, { "data[..]: Invalid value: \"..\": must not be '..'" } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default'},'data':{'k':'1'},'binaryData':{'k':'MQ=='}}",
      NULL,
      { "data[k]: Invalid value: \"k\": duplicate of key present in binaryData" } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default'},'immutable':true,'data':{'k':'1'}}",
      "{'metadata':{'name':'cm','namespace':'default'},'immutable':true,'data':{'k':'2'}}",
      { "data: Forbidden: field is immutable when `immutable` is set" } },
    { __LINE__,
      &R_CM,
      "{'metadata':{'name':'cm','namespace':'default'},'data':{'k':'1'}}",
      "{'metadata':{'name':'cm','namespace':'default'},'immutable':true,'data':{'k':'1'}}",
      { "immutable: Forbidden: field is immutable when `immutable` is set" } },
    /* Secrets */
    { __LINE__, &R_SECRET, SECRET(",'data':{'password':'cGFzcw=='}"), NULL, { NULL } },
    { __LINE__, &R_SECRET, SECRET(",'stringData':{'password':'pass'}"), NULL, { NULL } },
    { __LINE__,
      &R_SECRET,
      SECRET(",'data':{'bad key':'cGFzcw=='}"),
      NULL,
      { "data[bad key]: Invalid value: \"bad key\": " CMKEY_ERR } },
    { __LINE__,
      &R_SECRET,
      SECRET(",'type':'kubernetes.io/tls','data':{'tls.crt':'eA=='}"),
      NULL,
      { "data[tls.key]: Required value" } },
    { __LINE__,
      &R_SECRET,
      SECRET(",'type':'kubernetes.io/tls','data':{'tls.crt':'eA==','tls.key':'eA=='}"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_SECRET,
      SECRET(",'type':'kubernetes.io/dockerconfigjson','data':{}"),
      NULL,
      { "data[.dockerconfigjson]: Required value" } },
    { __LINE__,
      &R_SECRET,
      SECRET(",'type':'kubernetes.io/dockerconfigjson','data':{'.dockerconfigjson':'bm90IGpzb24='}"),
      NULL,
      { "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": invalid character 'o' in literal "
        "null (expecting 'u')" } },
    /* {"auths": x} and [1] */
    { __LINE__,
      &R_SECRET,
      SECRET(",'type':'kubernetes.io/dockerconfigjson','data':{'.dockerconfigjson':'eyJhdXRocyI6IHh9'}"),
      NULL,
      { "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": invalid character 'x' looking for "
        "beginning of value" } },
    { __LINE__,
      &R_SECRET,
      SECRET(",'type':'kubernetes.io/dockerconfigjson','data':{'.dockerconfigjson':'WzFd'}"),
      NULL,
      { "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": json: cannot unmarshal array into "
        "Go value of type map[string]interface {}" } },
    { __LINE__,
      &R_SECRET,
      SECRET(",'type':'kubernetes.io/dockerconfigjson','data':{'.dockerconfigjson':'eyJhdXRocyI6e319'}"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_SECRET,
      SECRET(",'type':'kubernetes.io/basic-auth','data':{}"),
      NULL,
      { "data[username]: Required value", "data[password]: Required value" } },
    { __LINE__,
      &R_SECRET,
      SECRET(",'type':'kubernetes.io/ssh-auth','data':{}"),
      NULL,
      { "data[ssh-privatekey]: Required value" } },
    { __LINE__,
      &R_SECRET,
      SECRET(",'type':'kubernetes.io/service-account-token','data':{}"),
      NULL,
      { "metadata.annotations[kubernetes.io/service-account.name]: Required value" } },
    { __LINE__,
      &R_SECRET,
      SECRET(",'type':'Opaque','data':{}"),
      SECRET(",'type':'kubernetes.io/tls','data':{"
             "'tls.crt':'eA==','tls.key':'eA=='}"),
      { "type: Invalid value: \"Opaque\": field is immutable" } },
    { __LINE__,
      &R_SECRET,
      SECRET(",'data':{'k':'not base64!'}"),
      NULL,
      { "data[k]: Invalid value: \"<secret contents redacted>\": illegal base64 data at input byte 3" } },
    /* ServiceAccount */
    { __LINE__,
      &R_SA,
      "{'metadata':{'name':'builder','namespace':'default'},'secrets':[{'name':'tok'}]}",
      NULL,
      { NULL } },
};

static void
test_config(void **state)
{
    (void)state;
    RUN(config_cases);
}

/* The 1 MiB total limit of ConfigMap and Secret data. */
static void
test_config_size(void **state)
{
    (void)state;
    size_t n = 1024 * 1024;
    char *big = malloc(n + 2);
    assert_non_null(big);
    memset(big, 'x', n + 1);
    big[n + 1] = '\0';
    json_t *obj = J(CM("{}"));
    json_object_set_new(json_object_get(obj, "data"), "k", json_string(big));
    struct api_errors e = { 0 };
    api_validate_core_configmap(&R_CM, obj, NULL, &e);
    assert_int_equal(e.n, 1);
    json_t *c = json_array_get(e.causes, 0);
    assert_string_equal(json_string_value(json_object_get(c, "field")), "");
    assert_string_equal(json_string_value(json_object_get(c, "message")),
                        "Too long: may not be more than 1048576 bytes");
    api_errors_free(&e);
    json_decref(obj);
    free(big);
}

/* ---- Events ---- */

#define EVENT(rest) "{'apiVersion':'v1','kind':'Event','metadata':{'name':'e1','namespace':'default'}" rest "}"

static const struct vcase event_cases[] = {
    { __LINE__,
      &R_EVENT,
      EVENT(",'involvedObject':{'kind':'Pod','name':'web','namespace':'default'},'reason':'Pulled','type':'Normal',"
            "'source':{'component':'kubelet'}"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_EVENT,
      EVENT(",'involvedObject':{'kind':'Pod','name':'web','namespace':'other'},'type':'Normal'"),
      NULL,
      { "involvedObject.namespace: Invalid value: \"other\": does not match event.namespace" } },
    /* core/v1 only gets the legacy checks (no type check) */
    { __LINE__,
      &R_EVENT,
      EVENT(",'involvedObject':{'kind':'Pod','name':'web','namespace':'default'},'type':'Sometimes'"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_EVENT,
      EVENT(",'involvedObject':{'kind':'Pod','name':'web'},'eventTime':'2025-01-01T00:00:00.000000Z'"),
      NULL,
      { "source: Required value", "source: Invalid value: \"\": name part must be non-empty",
        "source: Invalid value: \"\": " QNAME_ERR, "reportingInstance: Required value", "action: Required value",
        "reason: Required value" } },
    /* events.k8s.io/v1: the new-style fields are required */
    { __LINE__,
      &R_EVV1,
      "{'metadata':{'name':'e1','namespace':'default'},'eventTime':'2025-01-01T00:00:00.000000Z','reportingController':"
      "'example.com/ctl','reportingInstance':'ctl-1','action':'Scaled','reason':'Scaled','type':'Normal',"
      "'regarding':{'kind':'Deployment','name':'web','namespace':'default'}}",
      NULL,
      { NULL } },
    { __LINE__,
      &R_EVV1,
      "{'metadata':{'name':'e1','namespace':'default'},'type':'Normal'}",
      NULL,
      { "eventTime: Required value" } },
    { __LINE__,
      &R_EVV1,
      "{'metadata':{'name':'e1','namespace':'default'},'eventTime':'2025-01-01T00:00:00.000000Z','type':'Info'}",
      NULL,
      { "reportingController: Required value", "reportingController: Invalid value: \"\": name part must be non-empty",
        "reportingController: Invalid value: \"\": " QNAME_ERR, "reportingInstance: Required value",
        "action: Required value", "reason: Required value", "type: Invalid value: \"\": has invalid value: Info" } },
};

static void
test_events(void **state)
{
    (void)state;
    RUN(event_cases);
}

/* ---- apps ---- */

static const struct vcase apps_cases[] = {
    { __LINE__, &R_DEPLOY, DEPLOY(""), NULL, { NULL } },
    { __LINE__,
      &R_DEPLOY,
      "{'metadata':{'name':'web','namespace':'default'},'spec':{" TMPL "}}",
      NULL,
      { "spec.selector: Required value",
        "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match "
        "template `labels`" } },
    { __LINE__,
      &R_DEPLOY,
      "{'metadata':{'name':'web','namespace':'default'},'spec':{'selector':{'matchLabels':{'app':'other'}}," TMPL "}}",
      NULL,
      { "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match "
        "template `labels`" } },
    { __LINE__,
      &R_DEPLOY,
      "{'metadata':{'name':'web','namespace':'default'},'spec':{'selector':{}," TMPL "}}",
      NULL,
      { "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment" } },
    { __LINE__,
      &R_DEPLOY,
      "{'metadata':{'name':'web','namespace':'default'},'spec':{'selector':{'matchExpressions':[{'key':'app',"
      "'operator':'In'}]}," TMPL "}}",
      NULL,
      { "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or "
        "'NotIn'",
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        "MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:\"app\", Operator:\"In\", "
        "Values:[]string(nil)}}}: invalid label selector" } },
    { __LINE__,
      &R_DEPLOY,
      DEPLOY(",'replicas':-1,'minReadySeconds':-2"),
      NULL,
      { "spec.replicas: Invalid value: -1: " NONNEG, "spec.minReadySeconds: Invalid value: -2: " NONNEG } },
    { __LINE__,
      &R_DEPLOY,
      DEPLOY(",'strategy':{'type':'Foo'}"),
      NULL,
      { "spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:\"Foo\", "
        "RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: \"Recreate\", \"RollingUpdate\"" } },
    { __LINE__, &R_DEPLOY, DEPLOY(",'strategy':{'type':'Recreate'}"), NULL, { NULL } },
    { __LINE__,
      &R_DEPLOY,
      DEPLOY(",'strategy':{'type':'Recreate','rollingUpdate':{}}"),
      NULL,
      { "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'" } },
    { __LINE__,
      &R_DEPLOY,
      DEPLOY(",'strategy':{'rollingUpdate':{'maxUnavailable':0,'maxSurge':0}}"),
      NULL,
      { "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: "
        "may not be 0 when `maxSurge` is 0" } },
    { __LINE__,
      &R_DEPLOY,
      DEPLOY(",'strategy':{'rollingUpdate':{'maxUnavailable':'110%','maxSurge':'x'}}"),
      NULL,
      { "spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"x\"}: a "
        "valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used "
        "for validation is '[0-9]+%')",
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, "
        "StrVal:\"110%\"}: must not be greater than 100%" } },
    { __LINE__,
      &R_DEPLOY,
      DEPLOY(",'strategy':{'rollingUpdate':{'maxUnavailable':-1}}"),
      NULL,
      { "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: -1: " NONNEG } },
    { __LINE__,
      &R_DEPLOY,
      DEPLOY(",'progressDeadlineSeconds':10,'minReadySeconds':10"),
      NULL,
      { "spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds" } },
    /* the template must restart always and be a valid pod template */
    { __LINE__,
      &R_DEPLOY,
      "{'metadata':{'name':'web','namespace':'default'},'spec':{" SEL ",'template':{'metadata':{'labels':{'app':"
      "'web'}},'spec':{'restartPolicy':'Never','containers':[{'name':'Nginx','image':'nginx'}]}}}}",
      NULL,
      { "spec.template.spec.containers[0].name: Invalid value: \"Nginx\": " LABEL_ERR,
        "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"" } },
    { __LINE__,
      &R_DEPLOY,
      "{'metadata':{'name':'web','namespace':'default'},'spec':{" SEL ",'template':{'metadata':{'labels':{'app':"
      "'web','bad key':'x'}},'spec':{'containers':[{'name':'nginx','image':'nginx'}]}}}}",
      NULL,
      { "spec.template.labels: Invalid value: \"bad key\": " QNAME_ERR } },
    /* updates: the selector is immutable in apps/v1 */
    { __LINE__, &R_DEPLOY, DEPLOY(",'replicas':3"), DEPLOY(""), { NULL } },
    { __LINE__,
      &R_DEPLOY,
      "{'metadata':{'name':'web','namespace':'default'},'spec':{'selector':{'matchLabels':{'app':'web','x':'y'}},"
      "'template':{'metadata':{'labels':{'app':'web','x':'y'}},'spec':{'containers':[{'name':'nginx','image':"
      "'nginx'}]}}}}",
      DEPLOY(""),
      { "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"x\":\"y\"}, "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable" } },
    /* ReplicaSet */
    { __LINE__, &R_RS, "{'metadata':{'name':'rs','namespace':'default'},'spec':{" SEL "," TMPL "}}", NULL, { NULL } },
    { __LINE__,
      &R_RS,
      "{'metadata':{'name':'rs','namespace':'default'},'spec':{'replicas':-1," SEL "," TMPL "}}",
      NULL,
      { "spec.replicas: Invalid value: -1: " NONNEG } },
    /* StatefulSet */
    { __LINE__,
      &R_STS,
      "{'metadata':{'name':'db','namespace':'default'},'spec':{" SEL ",'serviceName':'db'," TMPL "}}",
      NULL,
      { NULL } },
    /* the pod spec of a StatefulSet template is not validated (mounts may name volumeClaimTemplates) */
    { __LINE__,
      &R_STS,
      "{'metadata':{'name':'db','namespace':'default'},'spec':{" SEL ",'serviceName':'db','template':{'metadata':{"
      "'labels':{'app':'web'}},'spec':{'containers':[{'name':'db','image':'postgres:17','volumeMounts':[{'name':"
      "'data','mountPath':'/var/lib/postgresql'}]}]}},'volumeClaimTemplates':[{'metadata':{'name':'data'},'spec':{"
      "'accessModes':['ReadWriteOnce'],'resources':{'requests':{'storage':'1Gi'}}}}]}}",
      NULL,
      { NULL } },
    { __LINE__,
      &R_STS,
      "{'metadata':{'name':'db','namespace':'default'},'spec':{" SEL ",'template':{'metadata':{'labels':{'app':'web'}},"
      "'spec':{'restartPolicy':'OnFailure','containers':[]}}}}",
      NULL,
      { "spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"" } },
    { __LINE__,
      &R_STS,
      "{'metadata':{'name':'db','namespace':'default'},'spec':{" SEL ",'podManagementPolicy':'Random','updateStrategy':"
      "{'type':'Sometimes'}," TMPL "}}",
      NULL,
      { "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
        "spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:\"Sometimes\", "
        "RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'" } },
    { __LINE__,
      &R_STS,
      "{'metadata':{'name':'db','namespace':'default'},'spec':{" SEL ",'updateStrategy':{'type':'OnDelete',"
      "'rollingUpdate':{'partition':2}}," TMPL "}}",
      NULL,
      { "spec.updateStrategy.rollingUpdate: Invalid value: apps.RollingUpdateStatefulSetStrategy{Partition:2, "
        "MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy 'RollingUpdate'" } },
    { __LINE__,
      &R_STS,
      "{'metadata':{'name':'db','namespace':'default'},'spec':{" SEL ",'updateStrategy':{'type':'RollingUpdate',"
      "'rollingUpdate':{'partition':-1}}," TMPL "}}",
      NULL,
      { "spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: " NONNEG } },
    { __LINE__,
      &R_STS,
      "{'metadata':{'name':'db','namespace':'default'},'spec':{'replicas':3," SEL "," TMPL "}}",
      "{'metadata':{'name':'db','namespace':'default'},'spec':{'replicas':1," SEL "," TMPL "}}",
      { NULL } },
    { __LINE__,
      &R_STS,
      "{'metadata':{'name':'db','namespace':'default'},'spec':{" SEL ",'serviceName':'other'," TMPL "}}",
      "{'metadata':{'name':'db','namespace':'default'},'spec':{" SEL ",'serviceName':'db'," TMPL "}}",
      { "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
        "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden" } },
    /* DaemonSet */
    { __LINE__, &R_DS, "{'metadata':{'name':'ds','namespace':'default'},'spec':{" SEL "," TMPL "}}", NULL, { NULL } },
    { __LINE__,
      &R_DS,
      "{'metadata':{'name':'ds','namespace':'default'},'spec':{" SEL ",'updateStrategy':{'rollingUpdate':{"
      "'maxUnavailable':0,'maxSurge':0}}," TMPL "}}",
      NULL,
      { "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0" } },
    { __LINE__,
      &R_DS,
      "{'metadata':{'name':'ds','namespace':'default'},'spec':{" SEL ",'updateStrategy':{'rollingUpdate':{"
      "'maxUnavailable':1,'maxSurge':1}}," TMPL "}}",
      NULL,
      { "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:\"\"}: "
        "may not be set when maxUnavailable is non-zero" } },
    /* (a DaemonSet's selector is not reported missing; it then matches nothing) */
    { __LINE__,
      &R_DS,
      "{'metadata':{'name':'ds','namespace':'default'},'spec':{" TMPL "}}",
      NULL,
      { "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match "
        "template `labels`" } },
};

static void
test_apps(void **state)
{
    (void)state;
    RUN(apps_cases);
}

/* ---- batch ---- */

#define JOBT(extra) "'template':{'spec':{'restartPolicy':'Never','containers':[{'name':'pi','image':'perl'}]}}" extra
#define JOB(extra)                                                                               \
    "{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'pi','namespace':'default','uid':" \
    "'0b5e1d7c-0000-4000-8000-000000000001'},'spec':{" JOBT(extra) "}}"
#define CJ(spec)                                                                  \
    "{'apiVersion':'batch/v1','kind':'CronJob'," META("nightly") ",'spec':{" spec \
                                                                 ",'jobTemplate':{'spec':{" JOBT("") "}}}}"

static const struct vcase batch_cases[] = {
    { __LINE__, &R_JOB, JOB(""), NULL, { NULL } },
    { __LINE__,
      &R_JOB,
      "{'metadata':{'name':'pi','namespace':'default','uid':'u1'},'spec':{'template':{'spec':{'containers':[{'name':"
      "'pi','image':'perl'}]}}}}",
      NULL,
      { "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"" } },
    { __LINE__,
      &R_JOB,
      "{'metadata':{'name':'pi','namespace':'default','uid':'u1'},'spec':{'template':{'spec':{'restartPolicy':"
      "'Always','containers':[{'name':'pi','image':'perl'}]}}}}",
      NULL,
      { "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"" } },
    { __LINE__,
      &R_JOB,
      "{'metadata':{'name':'pi','namespace':'default','uid':'u1'},'spec':{'template':{'spec':{'restartPolicy':"
      "'Sometimes','containers':[{'name':'pi','image':'perl'}]}}}}",
      NULL,
      { "spec.template.spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
        "\"OnFailure\", \"Never\"",
        "spec.template.spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"OnFailure\", "
        "\"Never\"" } },
    { __LINE__,
      &R_JOB,
      JOB(",'parallelism':-1,'completions':-1,'backoffLimit':-1,'activeDeadlineSeconds':-1"),
      NULL,
      { "spec.parallelism: Invalid value: -1: " NONNEG, "spec.completions: Invalid value: -1: " NONNEG,
        "spec.activeDeadlineSeconds: Invalid value: -1: " NONNEG, "spec.backoffLimit: Invalid value: -1: " NONNEG } },
    { __LINE__,
      &R_JOB,
      JOB(",'completionMode':'Sometimes'"),
      NULL,
      { "spec.completionMode: Unsupported value: \"Sometimes\": supported values: \"NonIndexed\", \"Indexed\"" } },
    { __LINE__,
      &R_JOB,
      JOB(",'completionMode':'Indexed','parallelism':2"),
      NULL,
      { "spec.completions: Required value: when completion mode is Indexed" } },
    { __LINE__, &R_JOB, JOB(",'completionMode':'Indexed','completions':3"), NULL, { NULL } },
    /* a selector given without manualSelector */
    { __LINE__,
      &R_JOB,
      JOB(",'selector':{'matchLabels':{'a':'b'}}"),
      NULL,
      { "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"a\":\"b\", "
        "\"batch.kubernetes.io/controller-uid\":\"0b5e1d7c-0000-4000-8000-000000000001\"}, "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated",
        "spec.template.metadata.labels: Invalid value: map[string]string{\"batch.kubernetes.io/controller-uid\":"
        "\"0b5e1d7c-0000-4000-8000-000000000001\", \"batch.kubernetes.io/job-name\":\"pi\", \"controller-uid\":"
        "\"0b5e1d7c-0000-4000-8000-000000000001\", \"job-name\":\"pi\"}: `selector` does not match template "
        "`labels`" } },
    /* generated labels that the user set differently */
    { __LINE__,
      &R_JOB,
      "{'metadata':{'name':'pi','namespace':'default','uid':'u1'},'spec':{'template':{'metadata':{'labels':{"
      "'job-name':'other'}},'spec':{'restartPolicy':'Never','containers':[{'name':'pi','image':'perl'}]}}}}",
      NULL,
      { "spec.template.metadata.labels[job-name]: Invalid value: map[string]string{@@\"job-name\":\"other\"}: must be "
        "'pi'" } },
    { __LINE__,
      &R_JOB,
      "{'metadata':{'name':'pi','namespace':'default','uid':'u1'},'spec':{'manualSelector':true,'selector':{"
      "'matchLabels':{'a':'b'}},'template':{'metadata':{'labels':{'a':'b'}},'spec':{'restartPolicy':'Never',"
      "'containers':[{'name':'pi','image':'perl'}]}}}}",
      NULL,
      { NULL } },
    /* the template is immutable (unless suspended) */
    { __LINE__, &R_JOB, JOB(",'parallelism':2,'completions':1"), JOB(""), { NULL } },
    { __LINE__,
      &R_JOB,
      "{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'pi','namespace':'default','uid':"
      "'0b5e1d7c-0000-4000-8000-000000000001'},'spec':{'template':{'spec':{'restartPolicy':'Never','containers':"
      "[{'name':'pi','image':'perl:5.40'}]}}}}",
      JOB(""),
      { "spec.template: Invalid value: @@: field is immutable" } },
    { __LINE__,
      &R_JOB,
      JOB(",'completions':5"),
      JOB(""),
      { "spec.completions: Invalid value: 5: field is immutable" } },
    /* CronJob */
    { __LINE__, &R_CJ, CJ("'schedule':'*/5 * * * *'"), NULL, { NULL } },
    { __LINE__, &R_CJ, CJ("'schedule':'@hourly'"), NULL, { NULL } },
    { __LINE__, &R_CJ, CJ("'schedule':'0 0 1 jan-mar mon-fri'"), NULL, { NULL } },
    { __LINE__, &R_CJ, CJ("'schedule':'@every 5m'"), NULL, { NULL } },
    { __LINE__, &R_CJ, CJ("'schedule':''"), NULL, { "spec.schedule: Required value" } },
    { __LINE__,
      &R_CJ,
      CJ("'schedule':'* * * *'"),
      NULL,
      { "spec.schedule: Invalid value: \"* * * *\": expected exactly 5 fields, found 4: [* * * *]" } },
    { __LINE__,
      &R_CJ,
      CJ("'schedule':'61 * * * *'"),
      NULL,
      { "spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above maximum (59): 61" } },
    { __LINE__,
      &R_CJ,
      CJ("'schedule':'@fortnightly'"),
      NULL,
      { "spec.schedule: Invalid value: \"@fortnightly\": unrecognized descriptor: @fortnightly" } },
    { __LINE__,
      &R_CJ,
      CJ("'schedule':'TZ=UTC * * * * *'"),
      NULL,
      { "spec.schedule: Invalid value: \"TZ=UTC * * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone "
        "field instead" } },
    { __LINE__, &R_CJ, CJ("'schedule':'* * * * *','timeZone':'Europe/Berlin'"), NULL, { NULL } },
    { __LINE__,
      &R_CJ,
      CJ("'schedule':'* * * * *','timeZone':' Europe/Berlin'"),
      NULL,
      { "spec.timeZone: Invalid value: \" Europe/Berlin\": unknown time zone  Europe/Berlin" } },
    { __LINE__,
      &R_CJ,
      CJ("'schedule':'* * * * *','concurrencyPolicy':'Never'"),
      NULL,
      { "spec.concurrencyPolicy: Unsupported value: \"Never\": supported values: \"Allow\", \"Forbid\", "
        "\"Replace\"" } },
    { __LINE__,
      &R_CJ,
      CJ("'schedule':'* * * * *','successfulJobsHistoryLimit':-1,'startingDeadlineSeconds':-1"),
      NULL,
      { "spec.startingDeadlineSeconds: Invalid value: -1: " NONNEG,
        "spec.successfulJobsHistoryLimit: Invalid value: -1: " NONNEG } },
};

static void
test_batch(void **state)
{
    (void)state;
    RUN(batch_cases);
}

/* ---- networking, discovery, coordination, storage, autoscaling ---- */

#define ING(spec) "{'apiVersion':'networking.k8s.io/v1','kind':'Ingress'," META("web") ",'spec':" spec "}"
#define BACKEND   "'backend':{'service':{'name':'web','port':{'number':80}}}"
#define EPS(rest) "{'apiVersion':'discovery.k8s.io/v1','kind':'EndpointSlice'," META("web-abc") rest "}"
#define HPA(spec) "{'apiVersion':'autoscaling/v2','kind':'HorizontalPodAutoscaler'," META("web") ",'spec':" spec "}"
#define HPA_REF   "'scaleTargetRef':{'apiVersion':'apps/v1','kind':'Deployment','name':'web'}"

static const struct vcase networking_cases[] = {
    { __LINE__,
      &R_ING,
      ING("{'rules':[{'host':'example.com','http':{'paths':[{'path':'/','pathType':'Prefix'," BACKEND "}]}}]}"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_ING,
      ING("{'rules':[{'host':'*.example.com','http':{'paths':[{'path':'/api','pathType':'Exact'," BACKEND "}]}}]}"),
      NULL,
      { NULL } },
    { __LINE__, &R_ING, ING("{'defaultBackend':{'service':{'name':'web','port':{'name':'http'}}}}"), NULL, { NULL } },
    { __LINE__,
      &R_ING,
      ING("{}"),
      NULL,
      { "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified" } },
    { __LINE__,
      &R_ING,
      ING("{'rules':[{'host':'Example.com','http':{'paths':[{'path':'/','pathType':'Prefix'," BACKEND "}]}}]}"),
      NULL,
      { "spec.rules[0].host: Invalid value: \"Example.com\": " SUB_ERR } },
    { __LINE__,
      &R_ING,
      ING("{'rules':[{'host':'10.0.0.1','http':{'paths':[{'path':'/','pathType':'Prefix'," BACKEND "}]}}]}"),
      NULL,
      { "spec.rules[0].host: Invalid value: \"10.0.0.1\": must be a DNS name, not an IP address" } },
    { __LINE__,
      &R_ING,
      ING("{'rules':[{'http':{'paths':[{'path':'/'," BACKEND "}]}}]}"),
      NULL,
      { "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified" } },
    { __LINE__,
      &R_ING,
      ING("{'rules':[{'http':{'paths':[{'path':'/','pathType':'Regex'," BACKEND "}]}}]}"),
      NULL,
      { "spec.rules[0].http.paths[0].pathType: Unsupported value: \"Regex\": supported values: \"Exact\", "
        "\"ImplementationSpecific\", \"Prefix\"" } },
    { __LINE__,
      &R_ING,
      ING("{'rules':[{'http':{'paths':[{'path':'api','pathType':'Prefix'," BACKEND "}]}}]}"),
      NULL,
      { "spec.rules[0].http.paths[0].path: Invalid value: \"api\": must be an absolute path" } },
    { __LINE__,
      &R_ING,
      ING("{'rules':[{'http':{'paths':[]}}]}"),
      NULL,
      { "spec.rules[0].http.paths: Required value" } },
    { __LINE__,
      &R_ING,
      ING("{'rules':[{'http':{'paths':[{'path':'/','pathType':'Prefix','backend':{}}]}}]}"),
      NULL,
      { "spec.rules[0].http.paths[0].backend: Invalid value: \"\": resource or service backend is required" } },
    { __LINE__,
      &R_ING,
      ING("{'rules':[{'http':{'paths':[{'path':'/','pathType':'Prefix','backend':{'service':{'name':'web'}}}]}}]}"),
      NULL,
      { "spec.rules[0].http.paths[0].backend: Required value: port name or number is required" } },
    { __LINE__,
      &R_ING,
      ING("{'rules':[{'http':{'paths':[{'path':'/','pathType':'Prefix','backend':{'service':{'name':'web','port':{"
          "'name':'http','number':80}}}}]}}]}"),
      NULL,
      { "spec.rules[0].http.paths[0].backend: Invalid value: \"\": cannot set both port name & port number" } },
    { __LINE__,
      &R_ING,
      ING("{'ingressClassName':'Bad_Class','defaultBackend':{'service':{'name':'web','port':{"
          "'number':80}}}}"),
      NULL,
      { "spec.ingressClassName: Invalid value: \"Bad_Class\": " SUB_ERR } },
    /* IngressClass */
    { __LINE__, &R_INGC, "{'metadata':{'name':'nginx'},'spec':{'controller':'k8s.io/ingress-nginx'}}", NULL, { NULL } },
    { __LINE__, &R_INGC, "{'metadata':{'name':'nginx'},'spec':{}}", NULL, { "spec.controller: Required value" } },
    { __LINE__,
      &R_INGC,
      "{'metadata':{'name':'nginx'},'spec':{'controller':'nginx'}}",
      NULL,
      { "spec.controller: Invalid value: \"nginx\": must be a domain-prefixed path (such as \"acme.io/foo\")" } },
    /* EndpointSlice */
    { __LINE__,
      &R_EPS,
      EPS(",'addressType':'IPv4','endpoints':[{'addresses':['10.1.0.5'],'conditions':{'ready':true}}],'ports':[{'name':"
          "'http','port':80}]"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_EPS,
      EPS(",'addressType':'IPv5'"),
      NULL,
      { "addressType: Unsupported value: \"IPv5\": supported values: \"FQDN\", \"IPv4\", \"IPv6\"" } },
    { __LINE__,
      &R_EPS,
      EPS(",'addressType':'IPv4','endpoints':[{'addresses':[]},{'addresses':['2001:db8::1']}]"),
      NULL,
      { "endpoints[0].addresses: Required value: must contain at least 1 address",
        "endpoints[1].addresses[0]: Invalid value: \"2001:db8::1\": must be a valid IPv4 address" } },
    /* Lease */
    { __LINE__,
      &R_LEASE,
      "{'metadata':{'name':'l','namespace':'default'},'spec':{'holderIdentity':'a',"
      "'leaseDurationSeconds':15}}",
      NULL,
      { NULL } },
    { __LINE__,
      &R_LEASE,
      "{'metadata':{'name':'l','namespace':'default'},'spec':{'leaseDurationSeconds':0,"
      "'leaseTransitions':-1}}",
      NULL,
      { "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
        "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0" } },
    /* StorageClass */
    { __LINE__, &R_SC, "{'metadata':{'name':'fast'},'provisioner':'kubernetes.io/no-provisioner'}", NULL, { NULL } },
    { __LINE__, &R_SC, "{'metadata':{'name':'fast'}}", NULL, { "provisioner: Required value" } },
    { __LINE__,
      &R_SC,
      "{'metadata':{'name':'fast'},'provisioner':'x','reclaimPolicy':'Keep','volumeBindingMode':'Later'}",
      NULL,
      { "reclaimPolicy: Unsupported value: \"Keep\": supported values: \"Delete\", \"Retain\"",
        "volumeBindingMode: Unsupported value: \"Later\": supported values: \"Immediate\", "
        "\"WaitForFirstConsumer\"" } },
    /* HorizontalPodAutoscaler */
    { __LINE__, &R_HPA, HPA("{" HPA_REF ",'maxReplicas':5}"), NULL, { NULL } },
    { __LINE__,
      &R_HPA,
      HPA("{'maxReplicas':5}"),
      NULL,
      { "spec.scaleTargetRef.kind: Required value", "spec.scaleTargetRef.name: Required value" } },
    { __LINE__,
      &R_HPA,
      HPA("{" HPA_REF ",'minReplicas':0,'maxReplicas':0}"),
      NULL,
      { "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
        "spec.maxReplicas: Invalid value: 0: must be greater than 0" } },
    { __LINE__,
      &R_HPA,
      HPA("{" HPA_REF ",'minReplicas':5,'maxReplicas':3}"),
      NULL,
      { "spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`" } },
    { __LINE__,
      &R_HPA,
      HPA("{" HPA_REF ",'maxReplicas':3,'metrics':[{'type':'Foo'}]}"),
      NULL,
      /* (upstream reports it twice) */
      { "spec.metrics[0].type: Unsupported value: \"Foo\": supported values: \"ContainerResource\", \"External\", "
        "\"Object\", \"Pods\", \"Resource\"",
        "spec.metrics[0].type: Unsupported value: \"Foo\": supported values: \"ContainerResource\", \"External\", "
        "\"Object\", \"Pods\", \"Resource\"" } },
    { __LINE__,
      &R_HPA,
      HPA("{" HPA_REF ",'maxReplicas':3,'metrics':[{'type':'Resource'}]}"),
      NULL,
      { "spec.metrics[0].resource: Required value: must populate information for the given metric source" } },
};

static void
test_networking_and_more(void **state)
{
    (void)state;
    RUN(networking_cases);
}

/* Every kind's validation tolerates an object with nothing in it (no crash, errors only). */
static void
test_empty_objects(void **state)
{
    (void)state;
    const struct api_resource *all[] = { &R_NS,     &R_POD, &R_SVC,   &R_EP,     &R_NODE,  &R_PV, &R_PVC, &R_CM,
                                         &R_SECRET, &R_SA,  &R_EVENT, &R_DEPLOY, &R_RS,    &R_DS, &R_STS, &R_JOB,
                                         &R_CJ,     &R_ING, &R_INGC,  &R_EPS,    &R_LEASE, &R_SC, &R_HPA, &R_EVV1 };
    const char *shapes[] = { "{}", "{'metadata':null,'spec':null}", "{'spec':[],'metadata':{'name':5}}" };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
            json_t *obj = J(shapes[s]), *old = J(shapes[s]);
            struct api_errors e = { 0 };
            all[i]->defaults(all[i], obj);
            api_validate_meta(all[i], obj, NULL, &e);
            all[i]->validate(all[i], obj, NULL, &e);
            /* the name is required at least */
            assert_true(e.n >= 1);
            api_errors_free(&e);
            all[i]->validate(all[i], obj, old, &e);
            api_errors_free(&e);
            json_decref(obj);
            json_decref(old);
        }
    }
}

/* Allocation failures anywhere in defaulting and validation: no crash, no leak. */
static void
test_out_of_memory(void **state)
{
    (void)state;
    const char *pod = POD("{'volumes':[{'name':'v','emptyDir':{}}],'containers':[{'name':'c','image':'nginx',"
                          "'ports':[{'containerPort':80,'name':'http'},{'containerPort':80,'name':'http'}],"
                          "'volumeMounts':[{'name':'x','mountPath':'/x'}]}],'tolerations':[{'key':'k','value':'v',"
                          "'operator':'Exists'}]}");
    long injected = 0;
    for (int i = 1; i < 200; i++) {
        json_t *obj = J(pod), *old = J(pod);
        struct api_errors e = { 0 };
        kc_fault_arm(KC_FAULT_ALLOC, i, 0, false);
        validate(&R_POD, obj, old, &e);
        injected += kc_fault_injected(KC_FAULT_ALLOC);
        kc_fault_disarm(KC_FAULT_ALLOC);
        /* the object is invalid: whatever failed, it is still rejected */
        assert_true(e.n >= 1);
        api_errors_free(&e);
        json_decref(obj);
        json_decref(old);
    }
    assert_true(injected > 0);
}

/* ---- rbac.authorization.k8s.io/v1, ResourceQuota, LimitRange ---- */

static const struct api_resource R_ROLE = RES("rbac.authorization.k8s.io", "v1", "Role", "roles", true, rbac_role);
static const struct api_resource R_CROLE =
    RES("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, rbac_clusterrole);
static const struct api_resource R_RB =
    RES("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, rbac_rolebinding);
static const struct api_resource R_CRB =
    RES("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, rbac_clusterrolebinding);
static const struct api_resource R_QUOTA = RES("", "v1", "ResourceQuota", "resourcequotas", true, core_resourcequota);
static const struct api_resource R_LR = RES("", "v1", "LimitRange", "limitranges", true, core_limitrange);

#define RBAC_AV     "'apiVersion':'rbac.authorization.k8s.io/v1',"
#define ROLE(rules) "{" RBAC_AV "'kind':'Role'," META("r") ",'rules':" rules "}"
#define CROLE(rest) "{" RBAC_AV "'kind':'ClusterRole','metadata':{'name':'cr'}" rest "}"
#define RB(rest)    "{" RBAC_AV "'kind':'RoleBinding'," META("rb") "," rest "}"
#define CRB(rest)   "{" RBAC_AV "'kind':'ClusterRoleBinding','metadata':{'name':'crb'}," rest "}"
#define QUOTA(spec) "{'apiVersion':'v1','kind':'ResourceQuota'," META("q") ",'spec':" spec "}"
#define LR(limits)  "{'apiVersion':'v1','kind':'LimitRange'," META("lr") ",'spec':{'limits':" limits "}}"
#define GOQ(v, s, f)                                                                                        \
    "resource.Quantity{i:resource.int64Amount{value:" v "}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, " \
    "s:\"" s "\", Format:\"" f "\"}"
/* A field error whose value is a Quantity: path, then GOQ's arguments, then the message. */
#define QERR(path, v, s, f, msg) path ": Invalid value: " GOQ(v, s, f) ": " msg
#define QSCOPE_EXISTS                                                                                         \
    "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, " \
    "ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity"

static const struct vcase rbac_quota_cases[] = {
    /* Role */
    { __LINE__, &R_ROLE, ROLE("[{'apiGroups':[''],'resources':['pods'],'verbs':['get','list']}]"), NULL, { NULL } },
    { __LINE__, &R_ROLE, ROLE("[]"), NULL, { NULL } },
    { __LINE__,
      &R_ROLE,
      ROLE("[{'apiGroups':['apps'],'resources':['deployments'],'verbs':['*']},{}]"),
      NULL,
      { "rules[1].verbs: Required value: verbs must contain at least one value",
        "rules[1].apiGroups: Required value: resource rules must supply at least one api group",
        "rules[1].resources: Required value: resource rules must supply at least one resource" } },
    { __LINE__,
      &R_ROLE,
      ROLE("[{'verbs':['get'],'nonResourceURLs':['/healthz','/logs/*'],'resources':['pods']}]"),
      NULL,
      { "rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\", \"/logs/*\"}: namespaced rules cannot apply "
        "to non-resource URLs",
        "rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\", \"/logs/*\"}: rules cannot apply to both "
        "regular resources and non-resource URLs" } },
    /* ClusterRole: non-resource URLs are fine; an aggregation rule needs valid selectors */
    { __LINE__, &R_CROLE, CROLE(",'rules':[{'verbs':['get'],'nonResourceURLs':['/logs/*']}]"), NULL, { NULL } },
    { __LINE__,
      &R_CROLE,
      CROLE(",'rules':[{'verbs':['get'],'nonResourceURLs':['/x'],'resourceNames':['n']}]"),
      NULL,
      { "rules[0].nonResourceURLs: Invalid value: []string{\"/x\"}: rules cannot apply to both regular resources and "
        "non-resource URLs" } },
    { __LINE__,
      &R_CROLE,
      CROLE(",'aggregationRule':{'clusterRoleSelectors':[{'matchLabels':{'rbac.example.com/"
            "aggregate-to-view':'true'}}]}"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_CROLE,
      CROLE(",'aggregationRule':{}"),
      NULL,
      { "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if "
        "aggregationRule is non-nil" } },
    { __LINE__,
      &R_CROLE,
      CROLE(",'aggregationRule':{'clusterRoleSelectors':[{},{'matchExpressions':[{'key':'a','operator':'Foo'}]}]}"),
      NULL,
      { "aggregationRule.clusterRoleSelectors[1].matchExpressions[0].operator: Invalid value: \"Foo\": not a valid "
        "selector operator",
        "aggregationRule.clusterRoleSelectors[1]: Invalid value: \"null\": invalid label selector." } },
    /* RoleBinding: roleRef.apiGroup and User/Group apiGroups are defaulted; a ServiceAccount needs no namespace */
    { __LINE__,
      &R_RB,
      RB("'roleRef':{'kind':'Role','name':'r'},'subjects':[{'kind':'User','name':'bob'},{'kind':'Group','name':'system:"
         "authenticated'},{'kind':'ServiceAccount','name':'default'}]"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_RB,
      RB("'subjects':[]"),
      NULL,
      { "roleRef.kind: Unsupported value: \"\": supported values: \"Role\", \"ClusterRole\"",
        "roleRef.name: Required value" } },
    { __LINE__,
      &R_RB,
      RB("'roleRef':{'apiGroup':'x','kind':'Foo','name':'a/b'}"),
      NULL,
      { "roleRef.apiGroup: Unsupported value: \"x\": supported values: \"rbac.authorization.k8s.io\"",
        "roleRef.kind: Unsupported value: \"Foo\": supported values: \"Role\", \"ClusterRole\"",
        "roleRef.name: Invalid value: \"a/b\": may not contain '/'" } },
    { __LINE__,
      &R_RB,
      RB("'roleRef':{'kind':'ClusterRole','name':'system:view'},'subjects':[{'kind':'ServiceAccount','name':'Bad_Name',"
         "'apiGroup':'x'},{'kind':'User'},{'kind':'Group','name':'g','apiGroup':'foo'},{'kind':'Robot','name':'r'}]"),
      NULL,
      { "subjects[0].name: Invalid value: \"Bad_Name\": " SUB_ERR,
        "subjects[0].apiGroup: Unsupported value: \"x\": supported values: \"\"", "subjects[1].name: Required value",
        "subjects[2].apiGroup: Unsupported value: \"foo\": supported values: \"rbac.authorization.k8s.io\"",
        "subjects[3].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"" } },
    /* roleRef is immutable; subjects are not */
    { __LINE__,
      &R_RB,
      RB("'roleRef':{'kind':'Role','name':'other'}"),
      RB("'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role','name':'r'}"),
      { "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"other\"}: "
        "cannot change roleRef" } },
    { __LINE__,
      &R_RB,
      RB("'roleRef':{'kind':'Role','name':'r'},'subjects':[{'kind':'User','name':'new'}]"),
      RB("'roleRef':{'kind':'Role','name':'r'}"),
      { NULL } },
    /* ClusterRoleBinding: only ClusterRoles, and ServiceAccount subjects need their namespace */
    { __LINE__,
      &R_CRB,
      CRB("'roleRef':{'kind':'Role','name':'r'},'subjects':[{'kind':'ServiceAccount','name':'sa'},{'kind':'"
          "ServiceAccount','name':'sa','namespace':'kube-system'}]"),
      NULL,
      { "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
        "subjects[0].namespace: Required value" } },
    { __LINE__,
      &R_CRB,
      CRB("'roleRef':{'kind':'ClusterRole','name':'cluster-admin'}"),
      CRB("'roleRef':{'kind':'ClusterRole','name':'view'}"),
      { "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", "
        "Name:\"cluster-admin\"}: cannot change roleRef" } },

    /* ResourceQuota */
    { __LINE__,
      &R_QUOTA,
      QUOTA("{'hard':{'cpu':'1','memory':'1Gi','pods':'10','count/deployments.apps':'2','requests.nvidia.com/"
            "gpu':1,'services.nodeports':'0','hugepages-2Mi':'1Gi'}}"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_QUOTA,
      QUOTA("{'hard':{'cpu':'1','hugepages-2Mi':'1Gi','count/jobs.batch':'1'},'scopes':['NotBestEffort']}"),
      NULL,
      { "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"NotBestEffort\"}: unsupported scope applied to "
        "resource" } },
    { __LINE__,
      &R_QUOTA,
      QUOTA("{'hard':{'foo':'1','storage':'1','Bad!':'1','cpu':'-1','pods':'1.5','example.com/dongle':'500m'}}"),
      NULL,
      { "spec.hard[foo]: Invalid value: foo: must be a standard resource type or fully qualified",
        "spec.hard[foo]: Invalid value: foo: must be a standard resource for quota",
        "spec.hard[storage]: Invalid value: storage: must be a standard resource for quota",
        "spec.hard[Bad!]: Invalid value: Bad!: " QNAME_ERR,
        "spec.hard[Bad!]: Invalid value: Bad!: must be a standard resource for quota",
        "spec.hard[cpu]: Invalid value: \"-1\": " NONNEG,
        /* kubectl and the defaults send the canonical 1500m, which ParseQuantity caches */
        QERR("spec.hard[pods]", "1500, scale:-3", "1500m", "DecimalSI", "must be an integer"),
        QERR("spec.hard[example.com/dongle]", "500, scale:-3", "500m", "DecimalSI", "must be an integer") } },
    { __LINE__,
      &R_QUOTA,
      QUOTA("{'hard':{'pods':'1','cpu':'1'},'scopes':['BestEffort','NotBestEffort','Foo']}"),
      NULL,
      { "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"BestEffort\", \"NotBestEffort\", \"Foo\"}: "
        "unsupported scope applied to resource",
        "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"BestEffort\", \"NotBestEffort\", \"Foo\"}: "
        "unsupported scope",
        "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"BestEffort\", \"NotBestEffort\", \"Foo\"}: "
        "conflicting scopes" } },
    { __LINE__,
      &R_QUOTA,
      QUOTA("{'hard':{'pods':'1'},'scopes':['Terminating','NotTerminating','PriorityClass','CrossNamespacePodAffinity']"
            "}"),
      NULL,
      { "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"Terminating\", \"NotTerminating\", \"PriorityClass\", "
        "\"CrossNamespacePodAffinity\"}: conflicting scopes" } },
    { __LINE__,
      &R_QUOTA,
      QUOTA("{'hard':{'pods':'1'},'scopeSelector':{'matchExpressions':[{'scopeName':'PriorityClass','operator':'In'},{'"
            "scopeName':'BestEffort','operator':'In','values':['x']},{'scopeName':'Terminating','operator':'Exists','"
            "values':['y']},{'scopeName':'Nope','operator':'Bad'},{'scopeName':'PriorityClass','operator':'NotIn','"
            "values':['low']}]}}"),
      NULL,
      { "spec.scopeSelector.matchExpressions.values: Required value: must be at least one value when `operator` is "
        "'In' or 'NotIn' for scope selector",
        "spec.scopeSelector.matchExpressions.operator: Invalid value: \"In\": " QSCOPE_EXISTS,
        "spec.scopeSelector.matchExpressions.values: Invalid value: []string{\"y\"}: must be no value when `operator` "
        "is 'Exist' or 'DoesNotExist' for scope selector",
        "spec.scopeSelector.matchExpressions.scopeName: Invalid value: \"Nope\": unsupported scope",
        "spec.scopeSelector.matchExpressions.operator: Invalid value: \"Bad\": not a valid selector operator" } },
    { __LINE__,
      &R_QUOTA,
      QUOTA("{'hard':{'cpu':'1'},'scopeSelector':{'matchExpressions':[{'scopeName':'BestEffort','operator':'Exists'},{'"
            "scopeName':'NotBestEffort','operator':'Exists','values':[]}]}}"),
      NULL,
      { "spec.scopeSelector.matchExpressions: Invalid value: "
        "core.ScopeSelector{MatchExpressions:[]core.ScopedResourceSelectorRequirement{core."
        "ScopedResourceSelectorRequirement{ScopeName:\"BestEffort\", Operator:\"Exists\", Values:[]string(nil)}, "
        "core.ScopedResourceSelectorRequirement{ScopeName:\"NotBestEffort\", Operator:\"Exists\", "
        "Values:[]string{}}}}: unsupported scope applied to resource",
        /* upstream reports the conflict with spec.scopes as its value */
        "spec.scopeSelector.matchExpressions: Invalid value: []core.ResourceQuotaScope(nil): conflicting scopes" } },
    /* the scopes are immutable (as a set); the status is checked as the spec */
    { __LINE__,
      &R_QUOTA,
      QUOTA("{'hard':{'pods':'1'},'scopes':['NotTerminating']}"),
      QUOTA("{'hard':{'pods':'1'},'scopes':['Terminating']}"),
      { "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"NotTerminating\"}: field is immutable" } },
    { __LINE__,
      &R_QUOTA,
      QUOTA("{'hard':{'pods':'2'},'scopes':['NotBestEffort','Terminating']}"),
      QUOTA("{'hard':{'pods':'1'},'scopes':['Terminating','NotBestEffort']}"),
      { NULL } },
    { __LINE__,
      &R_QUOTA,
      "{'apiVersion':'v1','kind':'ResourceQuota'," META(
          "q") ",'spec':{'hard':{'pods':'5'}},'status':{'hard':{'pods':'5'},'used':{'pods':'-1','bogus':'1'}}}",
      NULL,
      { "status.used[pods]: Invalid value: \"-1\": " NONNEG,
        "status.used[bogus]: Invalid value: bogus: must be a standard resource type or fully qualified",
        "status.used[bogus]: Invalid value: bogus: must be a standard resource for quota" } },

    /* LimitRange: the Container defaults (default = max, defaultRequest = default or min) apply before these */
    { __LINE__,
      &R_LR,
      LR("[{'type':'Container','max':{'cpu':'2','memory':'1Gi'},'min':{'cpu':'100m'}},{'type':'Pod','max':{'cpu':'4'}},"
         "{'type':'PersistentVolumeClaim','min':{'storage':'1Gi'}},{'type':'example.com/thing'}]"),
      NULL,
      { NULL } },
    { __LINE__,
      &R_LR,
      LR("[{'type':'Container','max':{'cpu':'1'},'min':{'cpu':'2'},'maxLimitRequestRatio':{'cpu':'500m'}},{'type':'"
         "Container'},{'type':'Pod','default':{'cpu':'1'},'defaultRequest':{'cpu':'1'}}]"),
      NULL,
      { QERR("spec.limits[0].min[cpu]", "2, scale:0", "2", "DecimalSI", "min value 2 is greater than max value 1"),
        QERR("spec.limits[0].defaultRequest[cpu]", "1, scale:0", "1", "DecimalSI",
             "min value 2 is greater than default request value 1"),
        QERR("spec.limits[0].default[cpu]", "2, scale:0", "2", "DecimalSI",
             "min value 2 is greater than default value 1"),
        QERR("spec.limits[0].maxLimitRequestRatio[cpu]", "500, scale:-3", "500m", "DecimalSI",
             "ratio 500m is less than 1"),
        "spec.limits[1].type: Duplicate value: \"Container\"",
        "spec.limits[2].default: Forbidden: may not be specified when `type` is 'Pod'",
        "spec.limits[2].defaultRequest: Forbidden: may not be specified when `type` is 'Pod'" } },
    { __LINE__,
      &R_LR,
      LR("[{'type':''},{'type':'Foo'},{'type':'PersistentVolumeClaim','max':{'cpu':'1'}},{'type':'Pod','max':{'storage'"
         ":'1Gi','example.com/"
         "x':'1'},'min':{'memory':'2Gi'}},{'type':'Pod','max':{'memory':'8Gi'},'min':{'memory':'9Gi'}}]"),
      NULL,
      { "spec.limits[0].type: Invalid value: \"\": name part must be non-empty",
        "spec.limits[0].type: Invalid value: \"\": " QNAME_ERR,
        "spec.limits[1].type: Invalid value: \"Foo\": must be a standard limit type or fully qualified",
        "spec.limits[2].limits: Required value: either minimum or maximum storage value is required, but neither was "
        "provided",
        "spec.limits[3].max[storage]: Invalid value: storage: must be a standard resource for containers",
        "spec.limits[4].type: Duplicate value: \"Pod\"",
        /* 9Gi is cached by ParseQuantity; 8Gi (a multiple of 8) is not, but String() fills it in */
        QERR("spec.limits[4].min[memory]", "9663676416, scale:0", "9Gi", "BinarySI",
             "min value 9Gi is greater than max value 8Gi") } },
    { __LINE__,
      &R_LR,
      LR("[{'type':'Container','max':{'cpu':'2'},'min':{'cpu':'1'},'maxLimitRequestRatio':{'cpu':'3'}}]"),
      NULL,
      { QERR("spec.limits[0].maxLimitRequestRatio[cpu]", "3, scale:0", "3", "DecimalSI",
             "ratio 3 is greater than max/min = 2.000000") } },
    { __LINE__,
      &R_LR,
      LR("[{'type':'Container','default':{'example.com/gpu':'2'},'defaultRequest':{'example.com/"
         "gpu':'1'}},{'type':'Container','max':{'memory':'8Gi'},'default':{'memory':'9Gi'}}]"),
      NULL,
      { QERR("spec.limits[0].defaultRequest[example.com/gpu]", "1, scale:0", "1", "DecimalSI",
             "default value 2 must equal to defaultRequest value 1 in example.com/gpu"),
        "spec.limits[1].type: Duplicate value: \"Container\"",
        /* the default request is defaulted from the default limit */
        QERR("spec.limits[1].defaultRequest[memory]", "9663676416, scale:0", "9Gi", "BinarySI",
             "default request value 9Gi is greater than max value 8Gi"),
        QERR("spec.limits[1].default[memory]", "8589934592, scale:0", "8Gi", "BinarySI",
             "default value 9Gi is greater than max value 8Gi") } },
};

static void
test_rbac_quota_limitrange(void **state)
{
    (void)state;
    RUN(rbac_quota_cases);
}

/* The defaults these kinds get, as upstream's SetDefaults_* and decoding write them. */
static void
test_rbac_quota_limitrange_defaults(void **state)
{
    (void)state;
    static const struct {
        const struct api_resource *r;
        const char *in, *want;
    } cases[] = {
        { &R_RB,
          "{'roleRef':{'kind':'Role','name':'r'},'subjects':[{'kind':'User','name':'u'},{'kind':'Group','name':'g','"
          "apiGroup':''},{'kind':'ServiceAccount','name':'s'},{'kind':'Other','name':'o'}]}",
          "{'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role','name':'r'},'subjects':[{'kind':'User','"
          "name':'u','apiGroup':'rbac.authorization.k8s.io'},{'kind':'Group','name':'g','apiGroup':'rbac.authorization."
          "k8s.io'},{'kind':'ServiceAccount','name':'s'},{'kind':'Other','name':'o'}]}" },
        { &R_CRB, "{}", "{'roleRef':{'apiGroup':'rbac.authorization.k8s.io'}}" },
        { &R_CRB, "{'roleRef':{'apiGroup':'x'}}", "{'roleRef':{'apiGroup':'x'}}" },
        { &R_ROLE, "{'rules':[{'verbs':['get']}]}", "{'rules':[{'verbs':['get']}]}" },
        { &R_QUOTA, "{'spec':{'hard':{'cpu':'1000m','memory':'1.5Gi','pods':3}},'status':{'used':{'cpu':'0.5'}}}",
          "{'spec':{'hard':{'cpu':'1','memory':'1536Mi','pods':'3'}},'status':{'used':{'cpu':'500m'}}}" },
        { &R_LR,
          "{'spec':{'limits':[{'type':'Container','max':{'cpu':'2','memory':'1Gi'},'default':{'memory':'512Mi'},'min':{"
          "'cpu':'100m','memory':'0.25Gi'}},{'type':'Pod','max':{'cpu':'4000m'}}]}}",
          "{'spec':{'limits':[{'type':'Container','max':{'cpu':'2','memory':'1Gi'},'default':{'memory':'512Mi','cpu':'"
          "2'},'defaultRequest':{'memory':'512Mi','cpu':'2'},'min':{'cpu':'100m','memory':'256Mi'}},{'type':'Pod','max'"
          ":{'cpu':'4'}}]}}" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *obj = J(cases[i].in), *want = J(cases[i].want);
        cases[i].r->defaults(cases[i].r, obj);
        cases[i].r->defaults(cases[i].r, obj); /* idempotent */
        if (!kc_json_equal(obj, want)) {
            char *got = kc_json_canonical(obj), *exp = kc_json_canonical(want);
            print_error("case %zu (%s):\n  got  %s\n  want %s\n", i, cases[i].r->kind, got, exp);
            free(got);
            free(exp);
            fail();
        }
        json_decref(obj);
        json_decref(want);
    }
}

/* Odd shapes and allocation failures: no crash, no leak, the object still rejected. */
static void
test_rbac_quota_limitrange_robust(void **state)
{
    (void)state;
    const struct api_resource *all[] = { &R_ROLE, &R_CROLE, &R_RB, &R_CRB, &R_QUOTA, &R_LR };
    const char *shapes[] = { "{}", "{'metadata':null,'spec':null,'rules':null,'roleRef':null,'subjects':null}",
                             "{'spec':{'hard':[],'limits':{},'scopes':{}},'rules':[5,null],'subjects':['x'],'roleRef':'"
                             "r','aggregationRule':{'clusterRoleSelectors':[5]}}",
                             "{'spec':{'limits':[5,{'type':7,'max':[]}],'scopeSelector':{'matchExpressions':[5]}}}" };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
            json_t *obj = J(shapes[s]), *old = J(shapes[s]);
            struct api_errors e = { 0 };
            validate(all[i], obj, NULL, &e);
            assert_true(e.n >= 1); /* the name is required at least */
            api_errors_free(&e);
            all[i]->validate(all[i], obj, old, &e);
            api_errors_free(&e);
            json_decref(obj);
            json_decref(old);
        }
    }
    const char *objs[] = {
        RB("'roleRef':{'kind':'Foo','name':'a/b'},'subjects':[{'kind':'ServiceAccount','name':'Bad'}]"),
        QUOTA("{'hard':{'pods':'1.5','foo':'1'},'scopes':['BestEffort','NotBestEffort'],'scopeSelector':{'"
              "matchExpressions':[{'scopeName':'BestEffort','operator':'In'}]}}"),
        LR("[{'type':'Container','max':{'cpu':'1'},'min':{'cpu':'2'}},{'type':'Container'}]"),
    };
    const struct api_resource *kinds[] = { &R_RB, &R_QUOTA, &R_LR };
    for (size_t k = 0; k < 3; k++) {
        long injected = 0;
        for (int i = 1; i < 80; i++) {
            json_t *obj = J(objs[k]), *old = J(objs[k]);
            struct api_errors e = { 0 };
            kc_fault_arm(KC_FAULT_ALLOC, i, 0, false);
            validate(kinds[k], obj, old, &e);
            injected += kc_fault_injected(KC_FAULT_ALLOC);
            kc_fault_disarm(KC_FAULT_ALLOC);
            assert_true(e.n >= 1);
            api_errors_free(&e);
            json_decref(obj);
            json_decref(old);
        }
        assert_true(injected > 0);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_add),
        cmocka_unit_test(test_dns_checks),
        cmocka_unit_test(test_go_printing),
        cmocka_unit_test(test_meta),
        cmocka_unit_test(test_meta_annotation_size),
        cmocka_unit_test(test_pod),
        cmocka_unit_test(test_service),
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_node_namespace_storage),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_config_size),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_apps),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_networking_and_more),
        cmocka_unit_test(test_empty_objects),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_rbac_quota_limitrange),
        cmocka_unit_test(test_rbac_quota_limitrange_defaults),
        cmocka_unit_test(test_rbac_quota_limitrange_robust),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
