#!/usr/bin/python3
"""The RBAC kinds (rbac.authorization.k8s.io/v1 Role, RoleBinding, ClusterRole, ClusterRoleBinding), ResourceQuota
and LimitRange over HTTPS against `k8c server` (or `k8c apiserver` on a real etcd with --etcd): discovery, create,
get, list, update, patch and delete of each kind (delete answering the object or a Status as upstream's registry
does), the defaults, validation errors with their details.causes, roleRef immutable, the quota's status
subresource, server-side Tables, and kctl beside kubectl 1.33 (get, describe, api-resources) on the same objects.
RBAC is stored and served only: nothing is authorized by it yet.

Usage: rbac_kinds_test.py --k8c BUILD/cmd/k8c [--etcd] [-k PATTERN]
Every process started is stopped by PID, also on failure.
"""
import os
import re
import subprocess
import sys

from k8ctest import Watch, run_tests

RBAC = "/apis/rbac.authorization.k8s.io/v1"
TABLE = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}
AGG = {"Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"}
ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def role(name, rules=None):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": name},
            "rules": rules if rules is not None else
            [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}


def binding(kind, name, ref_kind, ref_name, subjects=None):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": name},
            "roleRef": {"kind": ref_kind, "name": ref_name}, "subjects": subjects or []}


def causes(st):
    """The (field, reason, message) of a 422's causes, checked to be a proper Invalid Status."""
    assert st["kind"] == "Status" and st["reason"] == "Invalid" and st["code"] == 422, st
    return [(c.get("field"), c["reason"], c["message"]) for c in st["details"]["causes"]]


def crud(cl, base, obj, plural, group, delete_returns_object):
    """create, get, list, update, merge patch, delete (answer as upstream), then 404."""
    name = obj["metadata"]["name"]
    s, o = cl.req("POST", base, obj)
    assert s == 201 and o["metadata"]["uid"] and o["metadata"]["resourceVersion"], (s, o)
    assert o["kind"] == obj["kind"] and o["apiVersion"] == obj["apiVersion"], o
    assert "generation" not in o["metadata"], o["metadata"]
    s, again = cl.req("POST", base, obj)
    assert s == 409 and again["reason"] == "AlreadyExists", (s, again)
    s, got = cl.req("GET", base + "/" + name)
    assert s == 200 and got["metadata"]["uid"] == o["metadata"]["uid"], (s, got)
    s, lst = cl.req("GET", base)
    assert s == 200 and lst["kind"] == obj["kind"] + "List" and name in [i["metadata"]["name"] for i in lst["items"]]
    got["metadata"]["labels"] = {"tier": "x"}
    s, upd = cl.req("PUT", base + "/" + name, got)
    assert s == 200 and upd["metadata"]["labels"] == {"tier": "x"}, (s, upd)
    assert int(upd["metadata"]["resourceVersion"]) > int(o["metadata"]["resourceVersion"])
    s, stale = cl.req("PUT", base + "/" + name, got)  # the old resourceVersion
    assert s == 409 and stale["reason"] == "Conflict", (s, stale)
    s, pat = cl.req("PATCH", base + "/" + name, {"metadata": {"annotations": {"a": "b"}}},
                    "application/merge-patch+json")
    assert s == 200 and pat["metadata"]["annotations"] == {"a": "b"}, (s, pat)
    s, d = cl.req("DELETE", base + "/" + name)
    assert s == 200, (s, d)
    if delete_returns_object:
        assert d["kind"] == obj["kind"] and d["metadata"]["name"] == name, d
    else:
        assert d["kind"] == "Status" and d["status"] == "Success", d
        want = {"name": name, "group": group, "kind": plural, "uid": o["metadata"]["uid"]}
        if not group:
            del want["group"]  # omitempty
        assert d["details"] == want, d
    s, gone = cl.req("GET", base + "/" + name)
    assert s == 404 and gone["reason"] == "NotFound", (s, gone)
    return o


# ------------------------------------------------------------------------------------------------------ discovery


def t_discovery(cl):
    s, d = cl.req("GET", "/apis")
    g = [x for x in d["groups"] if x["name"] == "rbac.authorization.k8s.io"]
    assert s == 200 and g and g[0]["preferredVersion"]["groupVersion"] == "rbac.authorization.k8s.io/v1", d
    s, d = cl.req("GET", RBAC)
    assert s == 200 and d["groupVersion"] == "rbac.authorization.k8s.io/v1", d
    res = {r["name"]: r for r in d["resources"]}
    assert sorted(res) == ["clusterrolebindings", "clusterroles", "rolebindings", "roles"], sorted(res)
    for name, kind, ns in (("roles", "Role", True), ("rolebindings", "RoleBinding", True),
                           ("clusterroles", "ClusterRole", False),
                           ("clusterrolebindings", "ClusterRoleBinding", False)):
        r = res[name]
        assert r["kind"] == kind and r["namespaced"] is ns and r["singularName"] == name[:-1], r
        assert sorted(r["verbs"]) == ALL_VERBS and "shortNames" not in r and "categories" not in r, r
    s, d = cl.req("GET", "/api/v1")
    res = {r["name"]: r for r in d["resources"]}
    q, lr = res["resourcequotas"], res["limitranges"]
    assert q["shortNames"] == ["quota"] and q["kind"] == "ResourceQuota" and q["namespaced"], q
    assert sorted(q["verbs"]) == ALL_VERBS and "categories" not in q, q
    assert res["resourcequotas/status"]["verbs"] == ["get", "patch", "update"], res["resourcequotas/status"]
    assert lr["shortNames"] == ["limits"] and lr["kind"] == "LimitRange" and "limitranges/status" not in res, lr
    # aggregated discovery (kubectl 1.26+)
    s, d = cl.req("GET", "/apis", headers=AGG)
    g = [x for x in d["items"] if x["metadata"]["name"] == "rbac.authorization.k8s.io"]
    assert s == 200 and g, d
    names = sorted(r["resource"] for r in g[0]["versions"][0]["resources"])
    assert names == ["clusterrolebindings", "clusterroles", "rolebindings", "roles"], names
    # the OpenAPI v3 document of the group exists (generated from the schema tables)
    s, idx = cl.req("GET", "/openapi/v3")
    assert s == 200 and "apis/rbac.authorization.k8s.io/v1" in idx["paths"], sorted(idx["paths"])


# ------------------------------------------------------------------------------------------------------ RBAC kinds


def t_role_crud(cl):
    o = crud(cl, RBAC + "/namespaces/default/roles", role("reader"), "roles", "rbac.authorization.k8s.io", False)
    assert o["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}], o
    # a namespaced kind: the cluster-wide list works, a cluster path for one object does not exist
    s, o = cl.req("POST", RBAC + "/namespaces/default/roles", role("r2"))
    assert s == 201, o
    s, lst = cl.req("GET", RBAC + "/roles")
    assert s == 200 and [i["metadata"]["namespace"] for i in lst["items"] if i["metadata"]["name"] == "r2"] == \
        ["default"], lst
    s, o = cl.req("POST", RBAC + "/namespaces/nope/roles", role("r3"))
    assert s == 404 and o["reason"] == "NotFound" and 'namespaces "nope" not found' in o["message"], (s, o)


def t_rolebinding_crud_and_defaults(cl):
    b = binding("RoleBinding", "rb", "Role", "reader",
                [{"kind": "User", "name": "bob"}, {"kind": "ServiceAccount", "name": "default"}])
    o = crud(cl, RBAC + "/namespaces/default/rolebindings", b, "rolebindings", "rbac.authorization.k8s.io", False)
    assert o["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}, o
    assert o["subjects"] == [{"kind": "User", "name": "bob", "apiGroup": "rbac.authorization.k8s.io"},
                             {"kind": "ServiceAccount", "name": "default"}], o


def t_roleref_immutable(cl):
    base = RBAC + "/namespaces/default/rolebindings"
    s, o = cl.req("POST", base, binding("RoleBinding", "fixed", "ClusterRole", "view", [{"kind": "Group",
                                                                                          "name": "devs"}]))
    assert s == 201, o
    o["roleRef"]["name"] = "edit"
    s, st = cl.req("PUT", base + "/fixed", o)
    assert s == 422 and st["message"] == 'RoleBinding.rbac.authorization.k8s.io "fixed" is invalid: roleRef: ' \
        'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: ' \
        'cannot change roleRef', (s, st)
    assert causes(st) == [("roleRef", "FieldValueInvalid", 'Invalid value: rbac.RoleRef{APIGroup:'
                           '"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef')]
    assert st["details"]["name"] == "fixed" and st["details"]["group"] == "rbac.authorization.k8s.io" and \
        st["details"]["kind"] == "RoleBinding", st
    s, st = cl.req("PATCH", base + "/fixed", {"roleRef": {"kind": "Role"}}, "application/merge-patch+json")
    assert s == 422 and causes(st)[0][0] == "roleRef", (s, st)
    # the subjects may change
    s, o = cl.req("PATCH", base + "/fixed", {"subjects": [{"kind": "User", "name": "carol"}]},
                  "application/merge-patch+json")
    assert s == 200 and o["subjects"] == [{"kind": "User", "name": "carol", "apiGroup": "rbac.authorization.k8s.io"}]
    s, o = cl.req("GET", base + "/fixed")
    assert o["roleRef"]["name"] == "view", o


def t_clusterrole_crud_and_aggregation(cl):
    cr = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "logs"},
          "rules": [{"verbs": ["get"], "nonResourceURLs": ["/logs/*"]}]}
    crud(cl, RBAC + "/clusterroles", cr, "clusterroles", "rbac.authorization.k8s.io", False)
    agg = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "agg"},
           "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"example.com/aggregate": "true"}}]}}
    s, o = cl.req("POST", RBAC + "/clusterroles", agg)
    assert s == 201 and o["aggregationRule"] == agg["aggregationRule"], (s, o)
    # cluster-scoped: a namespace in the object is dropped (EnsureObjectNamespaceMatchesRequestNamespace)
    s, o = cl.req("POST", RBAC + "/clusterroles", dict(cr, metadata={"name": "x", "namespace": "default"}))
    assert s == 201 and "namespace" not in o["metadata"], (s, o)


def t_clusterrolebinding_crud(cl):
    b = binding("ClusterRoleBinding", "crb", "ClusterRole", "logs",
                [{"kind": "ServiceAccount", "name": "ctl", "namespace": "kube-system"}])
    o = crud(cl, RBAC + "/clusterrolebindings", b, "clusterrolebindings", "rbac.authorization.k8s.io", False)
    assert o["roleRef"]["apiGroup"] == "rbac.authorization.k8s.io", o


def t_rbac_validation(cl):
    s, st = cl.req("POST", RBAC + "/namespaces/default/roles",
                   role("bad", [{}, {"verbs": ["get"], "nonResourceURLs": ["/x"]}]))
    assert s == 422, st
    assert causes(st) == [
        ("rules[0].verbs", "FieldValueRequired", "Required value: verbs must contain at least one value"),
        ("rules[0].apiGroups", "FieldValueRequired",
         "Required value: resource rules must supply at least one api group"),
        ("rules[0].resources", "FieldValueRequired",
         "Required value: resource rules must supply at least one resource"),
        ("rules[1].nonResourceURLs", "FieldValueInvalid",
         'Invalid value: []string{"/x"}: namespaced rules cannot apply to non-resource URLs')], causes(st)
    assert st["message"].startswith('Role.rbac.authorization.k8s.io "bad" is invalid: ['), st["message"]
    s, st = cl.req("POST", RBAC + "/namespaces/default/rolebindings",
                   binding("RoleBinding", "b", "Foo", "", [{"kind": "Robot", "name": "r"},
                                                           {"kind": "User", "name": "u", "apiGroup": "x"}]))
    assert s == 422 and causes(st) == [
        ("roleRef.kind", "FieldValueNotSupported", 'Unsupported value: "Foo": supported values: "Role", "ClusterRole"'),
        ("roleRef.name", "FieldValueRequired", "Required value"),
        ("subjects[0].kind", "FieldValueNotSupported",
         'Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"'),
        ("subjects[1].apiGroup", "FieldValueNotSupported",
         'Unsupported value: "x": supported values: "rbac.authorization.k8s.io"')], causes(st)
    s, st = cl.req("POST", RBAC + "/clusterrolebindings",
                   binding("ClusterRoleBinding", "c", "Role", "r", [{"kind": "ServiceAccount", "name": "sa"}]))
    assert s == 422 and causes(st) == [
        ("roleRef.kind", "FieldValueNotSupported", 'Unsupported value: "Role": supported values: "ClusterRole"'),
        ("subjects[0].namespace", "FieldValueRequired", "Required value")], causes(st)
    s, st = cl.req("POST", RBAC + "/clusterroles",
                   {"metadata": {"name": "a"}, "aggregationRule": {"clusterRoleSelectors": []}})
    assert s == 422 and causes(st) == [
        ("aggregationRule.clusterRoleSelectors", "FieldValueRequired",
         "Required value: at least one clusterRoleSelector required if aggregationRule is non-nil")], causes(st)
    # a dry run validates and stores nothing
    s, o = cl.req("POST", RBAC + "/namespaces/default/roles?dryRun=All", role("dry"))
    assert s == 201 and o["metadata"]["name"] == "dry", (s, o)
    s, o = cl.req("GET", RBAC + "/namespaces/default/roles/dry")
    assert s == 404, (s, o)


def t_watch_and_tables_rbac(cl):
    base = RBAC + "/namespaces/default/rolebindings"
    s, lst = cl.req("GET", base)
    w = Watch(cl, base + "?watch=1&resourceVersion=" + lst["metadata"]["resourceVersion"])
    try:
        assert w.status == 200, w.status
        b = binding("RoleBinding", "wide", "ClusterRole", "edit",
                    [{"kind": "User", "name": "bob"}, {"kind": "User", "name": "carol"}, {"kind": "Group", "name": "g"},
                     {"kind": "ServiceAccount", "name": "sa", "namespace": "ci"}])
        s, o = cl.req("POST", base, b)
        assert s == 201, o
        assert w.wait(1), w.events
        ev = w.events[0]
        assert ev["type"] == "ADDED" and ev["object"]["metadata"]["name"] == "wide", ev
        assert ev["object"]["kind"] == "RoleBinding" and ev["object"]["apiVersion"] == "rbac.authorization.k8s.io/v1"
    finally:
        w.close()
    s, t = cl.req("GET", base + "/wide", headers=TABLE)
    assert s == 200 and t["kind"] == "Table", t
    cols = [(c["name"], c["type"], c["priority"]) for c in t["columnDefinitions"]]
    assert cols == [("Name", "string", 0), ("Role", "string", 0), ("Age", "string", 0), ("Users", "string", 1),
                    ("Groups", "string", 1), ("ServiceAccounts", "string", 1)], cols
    cells = t["rows"][0]["cells"]
    assert cells[0:2] == ["wide", "ClusterRole/edit"] and re.match(r"^\d+s$", cells[2]), cells
    assert cells[3:] == ["bob, carol", "g", "ci/sa"], cells
    s, t = cl.req("GET", RBAC + "/namespaces/default/roles", headers=TABLE)
    assert [c["name"] for c in t["columnDefinitions"]] == ["Name", "Created At"], t["columnDefinitions"]
    assert t["columnDefinitions"][1]["type"] == "date", t["columnDefinitions"]
    row = [r for r in t["rows"] if r["cells"][0] == "r2"][0]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", row["cells"][1]), row
    s, t = cl.req("GET", RBAC + "/clusterrolebindings", headers=TABLE)
    assert [c["description"] for c in t["columnDefinitions"]][3] == "Users in the clusterRoleBinding", t


# ------------------------------------------------------------------------------------------ ResourceQuota, LimitRange


def quota(name, spec):
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": name}, "spec": spec}


def t_quota_crud_and_status(cl):
    base = "/api/v1/namespaces/default/resourcequotas"
    q = quota("compute", {"hard": {"cpu": "1000m", "memory": "1.5Gi", "pods": 10, "limits.cpu": "2"}})
    q["status"] = {"hard": {"pods": "99"}}  # dropped on create
    s, o = cl.req("POST", base, q)
    assert s == 201 and "status" not in o, (s, o)
    assert o["spec"]["hard"] == {"cpu": "1", "memory": "1536Mi", "pods": "10", "limits.cpu": "2"}, o
    # the status subresource: the spec stays, the status is written
    o["status"] = {"hard": {"cpu": "1", "pods": "10", "limits.cpu": "2", "memory": "1536Mi"},
                   "used": {"cpu": "250m", "pods": "3", "memory": "1Gi"}}
    o["spec"]["hard"]["pods"] = "1"
    s, st = cl.req("PUT", base + "/compute/status", o)
    assert s == 200 and st["spec"]["hard"]["pods"] == "10" and st["status"]["used"]["pods"] == "3", (s, st)
    # a main-resource update keeps the status
    st["spec"]["hard"]["pods"] = "20"
    st["status"] = {}
    s, up = cl.req("PUT", base + "/compute", st)
    assert s == 200 and up["spec"]["hard"]["pods"] == "20" and up["status"]["used"]["cpu"] == "250m", (s, up)
    s, t = cl.req("GET", base, headers=TABLE)
    assert [c["name"] for c in t["columnDefinitions"]] == ["Name", "Request", "Limit", "Age"], t
    cells = t["rows"][0]["cells"]
    assert cells[:3] == ["compute", "cpu: 250m/1, memory: 1Gi/1536Mi, pods: 3/10", "limits.cpu: 0/2"], cells
    s, st = cl.req("PUT", base + "/compute/status",
                   dict(up, status={"used": {"pods": "-1"}}))
    assert s == 422 and causes(st) == [("status.used[pods]", "FieldValueInvalid",
                                        'Invalid value: "-1": must be greater than or equal to 0')], (s, st)
    s, d = cl.req("DELETE", base + "/compute")  # ReturnDeletedObject
    assert s == 200 and d["kind"] == "ResourceQuota" and d["metadata"]["name"] == "compute", d
    crud(cl, base, quota("plain", {"hard": {"pods": "1"}}), "resourcequotas", "", True)


def t_quota_validation(cl):
    base = "/api/v1/namespaces/default/resourcequotas"
    s, st = cl.req("POST", base, quota("bad", {"hard": {"foo": "1", "pods": "1500m"},
                                               "scopes": ["BestEffort", "NotBestEffort"]}))
    assert s == 422, st
    assert causes(st) == [
        ("spec.hard[foo]", "FieldValueInvalid",
         "Invalid value: foo: must be a standard resource type or fully qualified"),
        ("spec.hard[foo]", "FieldValueInvalid", "Invalid value: foo: must be a standard resource for quota"),
        ("spec.hard[pods]", "FieldValueInvalid",
         'Invalid value: resource.Quantity{i:resource.int64Amount{value:1500, scale:-3}, d:resource.infDecAmount{'
         'Dec:(*inf.Dec)(nil)}, s:"1500m", Format:"DecimalSI"}: must be an integer'),
        ("spec.scopes", "FieldValueInvalid",
         'Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes')], causes(st)
    s, o = cl.req("POST", base, quota("scoped", {"hard": {"pods": "1"}, "scopes": ["Terminating"]}))
    assert s == 201, o
    s, st = cl.req("PATCH", base + "/scoped", {"spec": {"scopes": ["NotTerminating"]}}, "application/merge-patch+json")
    assert s == 422 and causes(st) == [
        ("spec.scopes", "FieldValueInvalid",
         'Invalid value: []core.ResourceQuotaScope{"NotTerminating"}: field is immutable')], causes(st)
    s, st = cl.req("POST", base, quota("sel", {"hard": {"pods": "1"}, "scopeSelector": {"matchExpressions": [
        {"scopeName": "PriorityClass", "operator": "In"}]}}))
    assert s == 422 and causes(st) == [
        ("spec.scopeSelector.matchExpressions.values", "FieldValueRequired",
         "Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector")], st


def t_limitrange(cl):
    base = "/api/v1/namespaces/default/limitranges"
    lr = {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "lr"},
          "spec": {"limits": [{"type": "Container", "max": {"cpu": "2", "memory": "1Gi"}, "min": {"cpu": "0.1"}}]}}
    o = crud(cl, base, lr, "limitranges", "", False)
    # SetDefaults_LimitRangeItem: default = max, defaultRequest = default; quantities canonical
    assert o["spec"]["limits"][0] == {"type": "Container", "max": {"cpu": "2", "memory": "1Gi"}, "min": {"cpu": "100m"},
                                      "default": {"cpu": "2", "memory": "1Gi"},
                                      "defaultRequest": {"cpu": "2", "memory": "1Gi"}}, o
    s, o = cl.req("POST", base, lr)
    assert s == 201, o
    s, t = cl.req("GET", base, headers=TABLE)
    assert [c["name"] for c in t["columnDefinitions"]] == ["Name", "Created At"], t
    bad = {"metadata": {"name": "bad"}, "spec": {"limits": [
        {"type": "Pod", "max": {"cpu": "1"}, "min": {"cpu": "2"}, "default": {"cpu": "1"}},
        {"type": "Pod"}, {"type": "PersistentVolumeClaim"}]}}
    s, st = cl.req("POST", base, bad)
    assert s == 422 and causes(st) == [
        ("spec.limits[0].default", "FieldValueForbidden", "Forbidden: may not be specified when `type` is 'Pod'"),
        ("spec.limits[0].min[cpu]", "FieldValueInvalid",
         'Invalid value: resource.Quantity{i:resource.int64Amount{value:2, scale:0}, d:resource.infDecAmount{'
         'Dec:(*inf.Dec)(nil)}, s:"2", Format:"DecimalSI"}: min value 2 is greater than max value 1'),
        ("spec.limits[1].type", "FieldValueDuplicate", 'Duplicate value: "Pod"'),
        ("spec.limits[2].limits", "FieldValueRequired",
         "Required value: either minimum or maximum storage value is required, but neither was provided")], causes(st)


# ------------------------------------------------------------------------------------------- kctl beside kubectl

KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"
AGE = re.compile(r"\b\d+(s|m|h|d)(\d+(s|m|h))?\b")


def t_kctl_beside_kubectl(cl):
    kctl = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(cl.k8c))), "kctl", "kctl")
    if not (os.path.exists(kctl) and os.path.exists(KUBECTL)):
        print("     (kctl or kubectl 1.33 missing: %s, %s; comparison skipped)" % (kctl, KUBECTL))
        return
    kc = os.path.join(cl.tmp, "data", "admin.kubeconfig")
    cache = os.path.join(cl.tmp, "kubectl-cache")

    def run(argv):
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=dict(os.environ, KUBECONFIG=kc))
        return p.returncode, AGE.sub("AGE", p.stdout), p.stderr

    manifest = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: side, labels: {team: a}}
rules:
- {apiGroups: ["", apps], resources: [pods, deployments/scale], verbs: [get, list]}
- {apiGroups: [""], resources: [pods], verbs: [watch]}
- {apiGroups: [""], resources: [configmaps], resourceNames: [a, b], verbs: [get]}
- {nonResourceURLs: [/healthz], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: side, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: side}
subjects:
- {kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}
- {kind: ServiceAccount, name: sa, namespace: ci}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: side, namespace: default}
spec: {hard: {cpu: "2", pods: "4"}, scopes: [NotBestEffort]}
---
apiVersion: v1
kind: LimitRange
metadata: {name: side, namespace: default}
spec: {limits: [{type: Container, max: {cpu: "2"}, min: {cpu: 100m}}]}
"""
    p = subprocess.run([KUBECTL, "--kubeconfig", kc, "--cache-dir", cache, "apply", "-f", "-"], input=manifest,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    for args in (["describe", "clusterrole", "side"], ["describe", "rolebinding", "side"],
                 ["describe", "quota", "side"], ["describe", "limitrange", "side"],
                 ["get", "roles,rolebindings,quota,limits"], ["get", "clusterroles", "-o", "wide"],
                 ["get", "rolebinding", "side", "-o", "wide"], ["get", "clusterrole", "side", "-o", "yaml"],
                 ["get", "quota"], ["api-resources", "--api-group=rbac.authorization.k8s.io"]):
        a = run([kctl] + args)
        b = run([KUBECTL, "--cache-dir", cache] + args)
        assert a == b, "kctl %s differs from kubectl:\n--- kctl %r\n--- kubectl %r" % (" ".join(args), a, b)
        assert b[0] == 0 and b[1], (args, b)
    rc, out, err = run([kctl, "api-resources"])
    rows = {ln.split()[0]: ln.split() for ln in out.splitlines()[1:]}
    assert rows["resourcequotas"][1] == "quota" and rows["limitranges"][1] == "limits", rows
    assert rows["roles"][1:] == ["rbac.authorization.k8s.io/v1", "true", "Role"], rows["roles"]
    rc, out, err = run([kctl, "describe", "clusterrole", "side"])
    assert re.search(r"^  pods +\[\] +\[\] +\[get list watch\]$", out, re.M), out


def t_rbac_names_are_path_segments(cl):
    """upstream validates RBAC names as path segments (ValidateRBACName), not DNS subdomains: charts use colons"""
    s, o = cl.req("POST", RBAC + "/clusterroles", {"metadata": {"name": "system:metrics-server"},
                                                    "rules": [{"apiGroups": [""], "resources": ["pods"],
                                                               "verbs": ["get"]}]})
    assert s == 201 and o["metadata"]["name"] == "system:metrics-server", (s, o)
    s, o = cl.req("POST", RBAC + "/clusterrolebindings",
                  binding("ClusterRoleBinding", "system:metrics-server", "ClusterRole", "system:metrics-server",
                          [{"kind": "ServiceAccount", "name": "metrics-server", "namespace": "kube-system"}]))
    assert s == 201, (s, o)
    s, o = cl.req("GET", RBAC + "/clusterroles/system:metrics-server")
    assert s == 200 and o["rules"][0]["verbs"] == ["get"], (s, o)
    s, st = cl.req("POST", RBAC + "/namespaces/default/roles", role("a%b"))
    assert s == 422 and causes(st) == [("metadata.name", "FieldValueInvalid", "Invalid value: \"a%b\": may not contain '%'")], causes(st)
    s, st = cl.req("POST", RBAC + "/namespaces/default/roles", role(".."))
    assert s == 422 and causes(st)[0][0] == "metadata.name" and "may not be '..'" in causes(st)[0][2], causes(st)


TESTS = [t_discovery, t_role_crud, t_rolebinding_crud_and_defaults, t_roleref_immutable,
         t_clusterrole_crud_and_aggregation, t_clusterrolebinding_crud, t_rbac_validation, t_watch_and_tables_rbac,
         t_quota_crud_and_status, t_quota_validation, t_limitrange, t_kctl_beside_kubectl,
         t_rbac_names_are_path_segments]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, __doc__, prefix="k8c-rbac-"))
