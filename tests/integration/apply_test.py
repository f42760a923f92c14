#!/usr/bin/python3
"""Server-side apply, managedFields and field validation over HTTPS against `k8c server` (or `k8c apiserver` on a
real etcd with --etcd), checked against what kube-apiserver 1.33 answers: apply create and update, conflicts
(409 with details.causes), force, removal of fields a manager stopped applying, two managers, the Update entries
of POST/PUT/PATCH, managedFields reset, fieldValidation=Strict|Warn|Ignore on create, update, patch and apply with
nested paths, dryRun with apply, and the machine's real kubectl (`kubectl apply --server-side`).

Usage: apply_test.py --k8c BUILD/cmd/k8c [--etcd] [-k NAME]
Stops every process it started by PID, also on failure.
"""
import json
import os
import re
import subprocess
import tempfile

import k8ctest

NS = "/api/v1/namespaces/default"
APPS = "/apis/apps/v1/namespaces/default"
APPLY = "application/apply-patch+yaml"


def req(cl, method, path, body=None, ctype="application/json", headers=None):
    """Like cl.req, but also returns the Warning headers' texts (unquoted)."""
    c = cl.conn()
    h = dict(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        h["Content-Type"] = ctype
    c.request(method, path, data, h)
    r = c.getresponse()
    text = r.read()
    warnings = []
    for k, v in r.getheaders():
        if k.lower() == "warning":
            m = re.match(r'^299 - "(.*)"$', v)
            assert m, v
            warnings.append(re.sub(r'\\(.)', r'\1', m.group(1)))
    c.close()
    try:
        obj = json.loads(text) if text else None
    except ValueError:
        obj = text
    return r.status, obj, warnings


def deployment(name, replicas=1, labels=None, image="nginx", extra_containers=()):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "labels": labels if labels is not None else {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": image}] + list(extra_containers)}}}}


def apply(cl, path, obj, manager="mgr", extra=""):
    q = "?fieldManager=%s%s" % (manager, extra) if manager else ("?" + extra.lstrip("&") if extra else "")
    return req(cl, "PATCH", path + q, obj if isinstance(obj, str) else json.dumps(obj), ctype=APPLY)


def managers(obj):
    return {(m["manager"], m["operation"]): m for m in obj["metadata"].get("managedFields", [])}


def entry(obj, manager, op):
    m = managers(obj).get((manager, op))
    assert m, (manager, op, obj["metadata"].get("managedFields"))
    return m


def get(cl, path):
    s, o = cl.req("GET", path)
    assert s == 200, (s, o)
    return o


APPLY_FIELDS = {"f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {"f:replicas": {}, "f:selector": {},
                           "f:template": {"f:metadata": {"f:labels": {"f:app": {}}},
                                          "f:spec": {"f:containers": {'k:{"name":"c"}': {
                                              ".": {}, "f:image": {}, "f:name": {}}}}}}}


def force_supported(cl):
    """Whether the server reads the force parameter (upstream rejects it on a non-apply patch with 422). The
    parameter reaches the handlers once apiserver/server.c copies it into the request (rq->force)."""
    s, o, w = req(cl, "PATCH", NS + "/configmaps/force-probe?force=true", {"data": {"a": "b"}},
                  ctype="application/merge-patch+json")
    return s == 422


def user_agent_supported(cl):
    """Whether the server knows the User-Agent (the default field manager), i.e. apiserver/server.c copies it."""
    s, o, w = req(cl, "POST", NS + "/configmaps", {"metadata": {"name": "ua-probe"}, "data": {"a": "1"}},
                  headers={"User-Agent": "probe-agent/1.0 (x)"})
    assert s == 201, (s, o)
    return o["metadata"]["managedFields"][0]["manager"] == "probe-agent"


def skip(what):
    print("SKIP %s" % what)


# ------------------------------------------------------------------------------------------------------- apply


def t_apply_create(cl):
    s, o, w = apply(cl, APPS + "/deployments/ac", deployment("ac", 2))
    assert s == 201, (s, o)
    assert w == [], w
    mf = o["metadata"]["managedFields"]
    assert len(mf) == 1, mf
    e = mf[0]
    assert list(e.keys()) == ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1"], e
    assert (e["manager"], e["operation"], e["apiVersion"], e["fieldsType"]) == ("mgr", "Apply", "apps/v1", "FieldsV1")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", e["time"]), e
    assert e["fieldsV1"] == APPLY_FIELDS, json.dumps(e["fieldsV1"])
    g = get(cl, APPS + "/deployments/ac")
    assert g["spec"]["replicas"] == 2 and g["metadata"]["managedFields"] == mf, g
    assert g["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"  # defaulted, not owned
    assert g["metadata"]["uid"] and g["metadata"]["generation"] == 1, g["metadata"]
    # YAML bodies work the same
    y = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ac-yaml\n  labels:\n    a: b\ndata:\n  k: v\n")
    s, o, w = apply(cl, NS + "/configmaps/ac-yaml", y)
    assert s == 201 and o["data"] == {"k": "v"}, (s, o)
    assert entry(o, "mgr", "Apply")["fieldsV1"] == {"f:data": {"f:k": {}}, "f:metadata": {"f:labels": {"f:a": {}}}}


def t_apply_update(cl):
    s, o, w = apply(cl, APPS + "/deployments/au", deployment("au", 1))
    assert s == 201, (s, o)
    rv, t0 = o["metadata"]["resourceVersion"], o["metadata"]["managedFields"][0]["time"]
    # the same configuration again: 200, nothing written
    s, o, w = apply(cl, APPS + "/deployments/au", deployment("au", 1))
    assert s == 200 and o["metadata"]["resourceVersion"] == rv, (s, o["metadata"])
    assert o["metadata"]["managedFields"][0]["time"] == t0
    # a change: written, same single entry
    s, o, w = apply(cl, APPS + "/deployments/au", deployment("au", 3, image="nginx:1.27"))
    assert s == 200 and o["spec"]["replicas"] == 3, (s, o)
    assert o["metadata"]["resourceVersion"] != rv and o["metadata"]["generation"] == 2, o["metadata"]
    assert o["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert [(m["manager"], m["operation"]) for m in o["metadata"]["managedFields"]] == [("mgr", "Apply")]


def t_apply_conflict(cl):
    s, o, w = apply(cl, APPS + "/deployments/cf", deployment("cf", 1))
    assert s == 201, (s, o)
    # the same values from another manager: no conflict, shared ownership
    s, o, w = apply(cl, APPS + "/deployments/cf", deployment("cf", 1), manager="other")
    assert s == 200 and set(managers(o)) == {("mgr", "Apply"), ("other", "Apply")}, (s, o)
    # a different value: 409, exactly upstream's Status
    s, o, w = apply(cl, APPS + "/deployments/cf", deployment("cf", 4), manager="third")
    assert s == 409, (s, o)
    assert o == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                 "message": "Apply failed with 2 conflicts: conflicts with \"mgr\":\n- .spec.replicas\n"
                            "conflicts with \"other\":\n- .spec.replicas",
                 "reason": "Conflict",
                 "details": {"causes": [
                     {"reason": "FieldManagerConflict", "message": "conflict with \"mgr\"", "field": ".spec.replicas"},
                     {"reason": "FieldManagerConflict", "message": "conflict with \"other\"",
                      "field": ".spec.replicas"}]},
                 "code": 409}, json.dumps(o)
    assert get(cl, APPS + "/deployments/cf")["spec"]["replicas"] == 1
    # an Update manager's fields conflict "using" its apiVersion
    s, o, w = req(cl, "PATCH", APPS + "/deployments/cf?fieldManager=scaler", {"spec": {"replicas": 2}},
                  ctype="application/merge-patch+json")
    assert s == 200, (s, o)
    s, o, w = apply(cl, APPS + "/deployments/cf", deployment("cf", 5), manager="mgr")
    assert s == 409, (s, o)
    assert o["message"] == "Apply failed with 1 conflict: conflict with \"scaler\" using apps/v1: .spec.replicas", o
    assert o["details"] == {"causes": [{"reason": "FieldManagerConflict",
                                        "message": "conflict with \"scaler\" using apps/v1",
                                        "field": ".spec.replicas"}]}, o


def t_apply_force(cl):
    if not force_supported(cl):
        skip("t_apply_force: the server does not pass the force parameter to the handlers yet (apiserver/server.c)")
        return
    s, o, w = apply(cl, APPS + "/deployments/fo", deployment("fo", 1))
    assert s == 201, (s, o)
    s, o, w = apply(cl, APPS + "/deployments/fo", deployment("fo", 7), manager="other", extra="&force=false")
    assert s == 409, (s, o)
    s, o, w = apply(cl, APPS + "/deployments/fo", deployment("fo", 7), manager="other", extra="&force=true")
    assert s == 200 and o["spec"]["replicas"] == 7, (s, o)
    # ownership moved: mgr no longer owns .spec.replicas, other does
    assert "f:replicas" not in entry(o, "mgr", "Apply")["fieldsV1"]["f:spec"], o["metadata"]["managedFields"]
    assert "f:replicas" in entry(o, "other", "Apply")["fieldsV1"]["f:spec"]
    # mgr can now drop replicas from its configuration without removing the field
    d = deployment("fo")
    del d["spec"]["replicas"]
    s, o, w = apply(cl, APPS + "/deployments/fo", d)
    assert s == 200 and o["spec"]["replicas"] == 7, (s, o)


def t_apply_removes_fields(cl):
    s, o, w = apply(cl, APPS + "/deployments/rm", deployment("rm", labels={"app": "rm", "a": "1", "b": "2"},
                                                              extra_containers=[{"name": "side", "image": "busybox"}]))
    assert s == 201, (s, o)
    # another applier co-owns label b
    s, o, w = apply(cl, APPS + "/deployments/rm",
                    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "rm", "labels": {"b": "2"}}},
                    manager="other")
    assert s == 200, (s, o)
    # mgr stops applying labels a and b and the side container: a and side go, b stays (other owns it)
    s, o, w = apply(cl, APPS + "/deployments/rm", deployment("rm"))
    assert s == 200, (s, o)
    assert o["metadata"]["labels"] == {"app": "rm", "b": "2"}, o["metadata"]["labels"]
    assert [c["name"] for c in o["spec"]["template"]["spec"]["containers"]] == ["c"], o["spec"]
    assert entry(o, "mgr", "Apply")["fieldsV1"] == APPLY_FIELDS
    # a field someone changed with an Update is theirs: dropping it from the configuration keeps it
    s, o, w = req(cl, "PATCH", APPS + "/deployments/rm?fieldManager=editor",
                  {"metadata": {"labels": {"app": "rm", "edited": "yes"}}}, ctype="application/merge-patch+json")
    assert s == 200, (s, o)
    assert entry(o, "editor", "Update")["fieldsV1"] == {"f:metadata": {"f:labels": {"f:edited": {}}}}, o
    s, o, w = apply(cl, APPS + "/deployments/rm", deployment("rm"))
    assert s == 200 and o["metadata"]["labels"]["edited"] == "yes", (s, o)


def t_two_managers(cl):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "two"}, "data": {"a": "1"}}
    s, o, w = apply(cl, NS + "/configmaps/two", cm, manager="alpha")
    assert s == 201, (s, o)
    cm2 = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "two"}, "data": {"b": "2"}}
    s, o, w = apply(cl, NS + "/configmaps/two", cm2, manager="beta")
    assert s == 200 and o["data"] == {"a": "1", "b": "2"}, (s, o)
    assert entry(o, "alpha", "Apply")["fieldsV1"] == {"f:data": {"f:a": {}}}
    assert entry(o, "beta", "Apply")["fieldsV1"] == {"f:data": {"f:b": {}}}
    # Apply entries first, in time then name order
    assert [m["manager"] for m in o["metadata"]["managedFields"]] == ["alpha", "beta"]
    # beta drops its key: b goes, a stays
    cm3 = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "two"}}
    s, o, w = apply(cl, NS + "/configmaps/two", cm3, manager="beta")
    assert s == 200 and o["data"] == {"a": "1"}, (s, o)
    assert set(managers(o)) == {("alpha", "Apply")}, o["metadata"]["managedFields"]


def t_apply_status(cl):
    s, o, w = apply(cl, APPS + "/deployments/st", deployment("st"))
    assert s == 201, (s, o)
    st = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "st"},
          "status": {"replicas": 1, "readyReplicas": 1}, "spec": {"replicas": 9}}
    s, o, w = apply(cl, APPS + "/deployments/st/status", st, manager="ctrl")
    assert s == 200, (s, o)
    assert o["status"]["readyReplicas"] == 1 and o["spec"]["replicas"] == 1, o  # /status takes only .status
    e = entry(o, "ctrl", "Apply")
    assert e["subresource"] == "status" and e["fieldsV1"] == {"f:status": {"f:readyReplicas": {}, "f:replicas": {}}}
    assert list(e.keys())[-1] == "subresource", e
    # status on the main resource is neither applied nor owned
    s, o, w = apply(cl, APPS + "/deployments/st", dict(deployment("st"), status={"replicas": 5}))
    assert s == 200 and o["status"]["replicas"] == 1, (s, o)
    assert "f:status" not in entry(o, "mgr", "Apply")["fieldsV1"]
    # /status of a missing object is 404 (apply creates only on the main resource)
    s, o, w = apply(cl, APPS + "/deployments/nope/status", dict(st, metadata={"name": "nope"}), manager="ctrl")
    assert s == 404, (s, o)


def t_apply_dry_run(cl):
    s, o, w = apply(cl, APPS + "/deployments/dry", deployment("dry", 2), extra="&dryRun=All")
    assert s == 201 and o["metadata"]["managedFields"][0]["operation"] == "Apply", (s, o)
    s, o = cl.req("GET", APPS + "/deployments/dry")
    assert s == 404, (s, o)
    s, o, w = apply(cl, APPS + "/deployments/dry", deployment("dry", 2))
    assert s == 201, (s, o)
    rv = o["metadata"]["resourceVersion"]
    s, o, w = apply(cl, APPS + "/deployments/dry", deployment("dry", 6), extra="&dryRun=All")
    assert s == 200 and o["spec"]["replicas"] == 6, (s, o)
    g = get(cl, APPS + "/deployments/dry")
    assert g["spec"]["replicas"] == 2 and g["metadata"]["resourceVersion"] == rv, g


def t_apply_errors(cl):
    d = deployment("er")
    s, o, w = apply(cl, APPS + "/deployments/er", d, manager=None)
    assert s == 422, (s, o)
    assert o["message"] == "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required " \
                           "for apply patch", o
    assert o["reason"] == "Invalid" and o["details"] == {
        "group": "meta.k8s.io", "kind": "PatchOptions",
        "causes": [{"reason": "FieldValueRequired", "message": "Required value: is required for apply patch",
                    "field": "fieldManager"}]}, o
    s, o, w = apply(cl, APPS + "/deployments/er", dict(d, kind="StatefulSet"))
    assert (s, o["message"]) == (400, "invalid object type: apps/v1, Kind=StatefulSet"), (s, o)
    s, o, w = apply(cl, APPS + "/deployments/er", dict(d, apiVersion="v1"))
    assert (s, o["message"]) == (400, "invalid object type: /v1, Kind=Deployment"), (s, o)
    s, o, w = apply(cl, APPS + "/deployments/er", dict(d, metadata={"name": "er", "managedFields": []}))
    assert (s, o["message"]) == (400, "metadata.managedFields must be nil"), (s, o)
    s, o, w = apply(cl, APPS + "/deployments/er", dict(d, metadata={"name": "other-name"}))
    assert (s, o["message"]) == (400, "the name of the object (other-name) does not match the name on the URL (er)")
    s, o, w = apply(cl, APPS + "/deployments/er", d, extra="&fieldValidation=Sloppy")
    assert s == 422 and o["message"] == "PatchOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported " \
                                        "value: \"Sloppy\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"", o
    s, o, w = apply(cl, APPS + "/deployments/er", "{not yaml: [")
    assert s == 400 and o["message"].startswith("error decoding YAML: "), (s, o)
    # fields the schema does not have: upstream 1.33 answers 500, whatever fieldValidation says
    bad = deployment("er")
    bad["metadata"]["namespace"] = "default"
    bad["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = "x"
    s, o, w = apply(cl, APPS + "/deployments/er", bad, extra="&fieldValidation=Ignore")
    assert s == 500, (s, o)
    assert o == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                 "message": "failed to create typed patch object (default/er; apps/v1, Kind=Deployment): "
                            ".spec.template.spec.containers[name=\"c\"].imagePolicy: field not declared in schema",
                 "code": 500}, o
    wrong = deployment("er")
    wrong["spec"]["replicas"] = "three"
    s, o, w = apply(cl, APPS + "/deployments/er", wrong)
    assert s == 500 and o["message"].endswith(".spec.replicas: expected numeric (int or float), got string"), o
    s, o = cl.req("GET", APPS + "/deployments/er")
    assert s == 404, (s, o)
    # force is only for apply (when the server reads it)
    if force_supported(cl):
        s, o, w = req(cl, "PATCH", NS + "/configmaps/force-probe?force=true", {"data": {"a": "b"}},
                      ctype="application/merge-patch+json")
        assert o["message"] == "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified " \
                               "for non-apply patch", o


# ------------------------------------------------------------------------------------------- Update entries


def t_update_entries(cl):
    d = deployment("up")
    s, o = cl.req("POST", APPS + "/deployments?fieldManager=creator", d)
    assert s == 201, (s, o)
    e = entry(o, "creator", "Update")
    assert e["apiVersion"] == "apps/v1" and "subresource" not in e, e
    # a create's entry: defaults included, "." on the structs upstream sees as new
    f = e["fieldsV1"]
    assert f["f:metadata"] == {"f:labels": {".": {}, "f:app": {}}}, f
    assert f["f:spec"]["f:template"]["f:metadata"] == {"f:labels": {".": {}, "f:app": {}}}, f
    c = f["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"c"}']
    assert set(c) >= {".", "f:image", "f:name", "f:imagePullPolicy", "f:resources", "f:terminationMessagePath"}, c
    assert "." not in f["f:spec"] and "." not in f["f:spec"]["f:template"]["f:spec"]["f:containers"], f
    assert f["f:spec"]["f:strategy"]["f:rollingUpdate"]["."] == {}, f["f:spec"]["f:strategy"]
    assert "f:status" not in f
    # PUT by another manager takes the field it changed
    o["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2"
    s, o = cl.req("PUT", APPS + "/deployments/up?fieldManager=editor", o)
    assert s == 200, (s, o)
    assert entry(o, "editor", "Update")["fieldsV1"] == {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"c"}': {"f:image": {}}}}}}}, o["metadata"]["managedFields"]
    assert "f:image" not in entry(o, "creator", "Update")["fieldsV1"]["f:spec"]["f:template"]["f:spec"][
        "f:containers"]['k:{"name":"c"}']
    # strategic and JSON patches record too; the same manager's entries merge
    s, o = cl.req("PATCH", APPS + "/deployments/up?fieldManager=editor", {"spec": {"paused": True}},
                  ctype="application/strategic-merge-patch+json")
    assert s == 200, (s, o)
    s, o = cl.req("PATCH", APPS + "/deployments/up?fieldManager=patcher",
                  [{"op": "add", "path": "/metadata/annotations", "value": {"note": "x"}}],
                  ctype="application/json-patch+json")
    assert s == 200, (s, o)
    assert entry(o, "editor", "Update")["fieldsV1"]["f:spec"]["f:paused"] == {}, o
    assert entry(o, "patcher", "Update")["fieldsV1"] == {"f:metadata": {"f:annotations": {".": {}, "f:note": {}}}}
    # a no-op update changes nothing
    rv = o["metadata"]["resourceVersion"]
    s, o2 = cl.req("PUT", APPS + "/deployments/up?fieldManager=someone", o)
    assert s == 200 and o2["metadata"]["resourceVersion"] == rv and ("someone", "Update") not in managers(o2)
    # /scale records an Update with subresource "scale"
    s, sc = cl.req("PATCH", APPS + "/deployments/up/scale?fieldManager=hpa", {"spec": {"replicas": 4}},
                   ctype="application/merge-patch+json")
    assert s == 200, (s, sc)
    e = entry(get(cl, APPS + "/deployments/up"), "hpa", "Update")
    assert e["subresource"] == "scale" and e["fieldsV1"] == {"f:spec": {"f:replicas": {}}}, e
    # without fieldManager the manager is the User-Agent's program name
    if user_agent_supported(cl):
        s, o, w = req(cl, "PATCH", APPS + "/deployments/up", {"metadata": {"labels": {"ua": "1"}}},
                      ctype="application/merge-patch+json", headers={"User-Agent": "kubectl/v1.33.0 (linux/amd64)"})
        assert s == 200 and ("kubectl", "Update") in managers(o), o["metadata"]["managedFields"]
    else:
        skip("default field manager: the server does not pass the User-Agent to the handlers yet (server.c)")


def t_managed_fields_reset(cl):
    s, o = cl.req("POST", NS + "/configmaps?fieldManager=creator", {"metadata": {"name": "rs"}, "data": {"a": "1"}})
    assert s == 201 and len(o["metadata"]["managedFields"]) == 1, (s, o)
    # absent managedFields in a PUT keeps them
    del o["metadata"]["managedFields"]
    o["data"]["b"] = "2"
    s, o = cl.req("PUT", NS + "/configmaps/rs?fieldManager=putter", o)
    assert s == 200 and set(managers(o)) == {("creator", "Update"), ("putter", "Update")}, (s, o)
    # managedFields given are taken as they are
    o["metadata"]["managedFields"] = [m for m in o["metadata"]["managedFields"] if m["manager"] == "putter"]
    s, o = cl.req("PUT", NS + "/configmaps/rs", o)
    assert s == 200 and set(managers(o)) == {("putter", "Update")}, (s, o)
    # an empty list resets them: none are stored, and updates are not tracked from then on (as upstream)
    o["metadata"]["managedFields"] = []
    s, o = cl.req("PUT", NS + "/configmaps/rs?fieldManager=putter", o)
    assert s == 200 and "managedFields" not in o["metadata"], (s, o)
    s, o = cl.req("PATCH", NS + "/configmaps/rs?fieldManager=later", {"data": {"c": "3"}},
                  ctype="application/merge-patch+json")
    assert s == 200 and "managedFields" not in o["metadata"], (s, o)
    # an apply starts tracking again
    s, o, w = apply(cl, NS + "/configmaps/rs", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "rs"},
                                                "data": {"z": "9"}})
    assert s == 200 and set(managers(o)) == {("mgr", "Apply")}, (s, o)
    # [{}] resets too
    o["metadata"]["managedFields"] = [{}]
    s, o = cl.req("PUT", NS + "/configmaps/rs", o)
    assert s == 200 and "managedFields" not in o["metadata"], (s, o)
    # invalid managedFields in a write are replaced by the live ones, never stored
    s, o = cl.req("POST", NS + "/configmaps?fieldManager=c2",
                  {"metadata": {"name": "rs2", "managedFields": [{"manager": "x", "operation": "Patch"}]},
                   "data": {"a": "1"}})
    assert s == 201 and set(managers(o)) == {("c2", "Update")}, (s, o)


# ---------------------------------------------------------------------------------------- field validation

BAD_DEPLOYMENT = """
{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {"name": "NAME", "name": "NAME", "unknownMeta": "x", "labels": {"app": "fv"}},
  "spec": {
    "unknown1": "val1",
    "unknownDupe": "a",
    "unknownDupe": "b",
    "paused": true,
    "paused": false,
    "selector": {"matchLabels": {"app": "fv"}},
    "template": {"metadata": {"labels": {"app": "fv"}},
      "spec": {"containers": [{"name": "c", "image": "nginx", "unknownNested": "v",
                               "imagePullPolicy": "Always", "imagePullPolicy": "Never"}]}}
  }
}"""

CREATE_ERRORS = ['duplicate field "metadata.name"', 'unknown field "metadata.unknownMeta"',
                 'unknown field "spec.unknown1"', 'unknown field "spec.unknownDupe"', 'duplicate field "spec.paused"',
                 'unknown field "spec.template.spec.containers[0].unknownNested"',
                 'duplicate field "spec.template.spec.containers[0].imagePullPolicy"']


def bad(name):
    return BAD_DEPLOYMENT.replace("NAME", name)


def assert_clean(o):
    """No unknown field got stored."""
    assert "unknownMeta" not in o["metadata"] and "unknown1" not in o["spec"] and "unknownDupe" not in o["spec"], o
    assert "unknownNested" not in o["spec"]["template"]["spec"]["containers"][0], o


def t_validation_create(cl):
    s, o, w = req(cl, "POST", APPS + "/deployments?fieldValidation=Strict", bad("fv-s"))
    assert s == 400 and o["reason"] == "BadRequest", (s, o)
    assert o["message"] == "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: " + \
        ", ".join(CREATE_ERRORS), o["message"]
    s, o = cl.req("GET", APPS + "/deployments/fv-s")
    assert s == 404
    for q, want in (("?fieldValidation=Warn", CREATE_ERRORS), ("", CREATE_ERRORS), ("?fieldValidation=Ignore", [])):
        name = "fv-w%d" % len(q)
        s, o, w = req(cl, "POST", APPS + "/deployments" + q, bad(name))
        assert s == 201, (q, s, o)
        assert w == want, (q, w)
        assert o["spec"]["paused"] is False and o["spec"]["template"]["spec"]["containers"][0][
            "imagePullPolicy"] == "Never"  # the last duplicate wins
        assert_clean(o)
        assert_clean(get(cl, APPS + "/deployments/" + name))
    # YAML bodies: unknown fields in key order
    y = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fv-y\n  zzz: 1\ndata:\n  a: b\nspek: 1\n"
    s, o, w = req(cl, "POST", NS + "/configmaps?fieldValidation=Strict", y, ctype="application/yaml")
    assert s == 400 and o["message"].endswith('strict decoding error: unknown field "metadata.zzz", unknown field '
                                              '"spek"'), (s, o)
    s, o, w = req(cl, "POST", NS + "/configmaps", y, ctype="application/yaml")
    assert s == 201 and w == ['unknown field "metadata.zzz"', 'unknown field "spek"'] and "spek" not in o, (s, o, w)


def t_validation_update(cl):
    s, o, w = req(cl, "POST", APPS + "/deployments?fieldValidation=Ignore", bad("fvu"))
    assert s == 201, (s, o)
    s, o, w = req(cl, "PUT", APPS + "/deployments/fvu?fieldValidation=Strict", bad("fvu"))
    assert s == 400 and o["message"].endswith("strict decoding error: " + ", ".join(CREATE_ERRORS)), (s, o)
    s, o, w = req(cl, "PUT", APPS + "/deployments/fvu?fieldValidation=Warn", bad("fvu"))
    assert s == 200 and w == CREATE_ERRORS, (s, w)
    assert_clean(o)
    s, o, w = req(cl, "PUT", APPS + "/deployments/fvu?fieldValidation=Ignore", bad("fvu"))
    assert s == 200 and w == [], (s, w)
    s, o, w = req(cl, "PUT", APPS + "/deployments/fvu?fieldValidation=strict", bad("fvu"))
    assert s == 422 and o["message"].startswith("UpdateOptions.meta.k8s.io \"\" is invalid: fieldValidation: "
                                                "Unsupported value: \"strict\""), (s, o)


MERGE_PATCH = """{"spec": {"unknown1": "val1", "unknownDupe": "valDupe", "unknownDupe": "valDupe2", "paused": true,
 "paused": false, "template": {"spec": {"containers": [{"name": "c", "image": "nginx:latest",
 "unknownNested": "val1", "imagePullPolicy": "Always", "imagePullPolicy": "Never"}]}}}}"""

PATCH_ERRORS = ['duplicate field "spec.unknownDupe"', 'duplicate field "spec.paused"',
                'duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
                'unknown field "spec.template.spec.containers[0].unknownNested"', 'unknown field "spec.unknown1"',
                'unknown field "spec.unknownDupe"']


def t_validation_patch(cl):
    s, o = cl.req("POST", APPS + "/deployments", deployment("fvp"))
    assert s == 201, (s, o)
    for ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
        s, o, w = req(cl, "PATCH", APPS + "/deployments/fvp?fieldValidation=Strict", MERGE_PATCH, ctype=ctype)
        assert s == 422 and o["reason"] == "Invalid", (ctype, s, o)
        tail = ": strict decoding error: " + ", ".join(PATCH_ERRORS)
        assert o["message"].startswith(' "" is invalid: patch: Invalid value: "') and o["message"].endswith(tail), o
        assert len(o["details"]["causes"]) == 1 and o["details"]["causes"][0]["field"] == "patch", o["details"]
        if "strategic" in ctype:  # the strategic patch is printed as a Go map
            assert 'Invalid value: "map[spec:map[paused:false template:map[spec:map[containers:[map[' in o["message"], o
        s, o, w = req(cl, "PATCH", APPS + "/deployments/fvp", MERGE_PATCH, ctype=ctype)
        assert s == 200 and w == PATCH_ERRORS, (ctype, s, w)
        assert_clean(o)
        s, o, w = req(cl, "PATCH", APPS + "/deployments/fvp?fieldValidation=Ignore", MERGE_PATCH, ctype=ctype)
        assert s == 200 and w == [], (ctype, w)
    ops = ('[{"op": "add", "path": "/spec/unknown1", "value": "val1", "foo": "bar"},'
           ' {"op": "add", "path": "/spec/unknown2", "path": "/spec/unknown3", "value": "val1"},'
           ' {"op": "replace", "path": "/spec/paused", "value": true}]')
    s, o, w = req(cl, "PATCH", APPS + "/deployments/fvp?fieldValidation=Strict", ops,
                  ctype="application/json-patch+json")
    assert s == 422 and o["message"].endswith('strict decoding error: json patch unknown field "[0].foo", json patch '
                                              'duplicate field "[1].path", unknown field "spec.unknown1", unknown '
                                              'field "spec.unknown3"'), (s, o)
    s, o, w = req(cl, "PATCH", APPS + "/deployments/fvp", ops, ctype="application/json-patch+json")
    assert s == 200 and w == ['json patch unknown field "[0].foo"', 'json patch duplicate field "[1].path"',
                              'unknown field "spec.unknown1"', 'unknown field "spec.unknown3"'], (s, w)
    assert "unknown3" not in o["spec"] and o["spec"]["paused"] is True, o
    # a strategic patch adding a container with a nested $setElementOrder list: the stray directive is not stored
    sp = {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "c"}, {"name": "side"}],
                                         "containers": [{"name": "side", "image": "busybox",
                                                         "$setElementOrder/env": [{"name": "A"}],
                                                         "env": [{"name": "A", "value": "1"}]}]}}}}
    s, o, w = req(cl, "PATCH", APPS + "/deployments/fvp?fieldValidation=Ignore", sp,
                  ctype="application/strategic-merge-patch+json")
    assert s == 200, (s, o)
    side = [c for c in get(cl, APPS + "/deployments/fvp")["spec"]["template"]["spec"]["containers"]
            if c["name"] == "side"][0]
    assert "$setElementOrder/env" not in side and side["env"] == [{"name": "A", "value": "1"}], side


APPLY_DUPES = """{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {
    "name": "NAME",
    "labels": {"app": "fva"}
  },
  "spec": {
    "paused": false,
    "paused": true,
    "selector": {"matchLabels": {"app": "fva"}},
    "template": {"metadata": {"labels": {"app": "fva"}},
      "spec": {"containers": [{"name": "c", "image": "nginx",
        "imagePullPolicy": "Never",
        "imagePullPolicy": "Always"}]}}
  }
}"""


def t_validation_apply(cl):
    s, o, w = apply(cl, APPS + "/deployments/fva-s", APPLY_DUPES.replace("NAME", "fva-s"),
                    extra="&fieldValidation=Strict")
    assert s == 400, (s, o)
    assert o["message"] == "error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n" \
                           "  line 10: key \"paused\" already set in map\n" \
                           "  line 15: key \"imagePullPolicy\" already set in map", o["message"]
    s, o = cl.req("GET", APPS + "/deployments/fva-s")
    assert s == 404
    s, o, w = apply(cl, APPS + "/deployments/fva-w", APPLY_DUPES.replace("NAME", "fva-w"))
    assert s == 201 and w == ['line 10: key "paused" already set in map',
                              'line 15: key "imagePullPolicy" already set in map'], (s, w)
    assert o["spec"]["paused"] is True, o["spec"]
    s, o, w = apply(cl, APPS + "/deployments/fva-i", APPLY_DUPES.replace("NAME", "fva-i"),
                    extra="&fieldValidation=Ignore")
    assert s == 201 and w == [], (s, w)


# ------------------------------------------------------------------------------------------------ kubectl


def kubectl(cl, cache, *args, stdin=None):
    argv = ["kubectl", "--kubeconfig", os.path.join(cl.tmp, "data", "admin.kubeconfig"), "--cache-dir", cache,
            "-n", "default"] + list(args)
    p = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def t_kubectl_server_side(cl):
    cache = tempfile.mkdtemp(dir=cl.tmp, prefix="kcache-")
    d = deployment("kssa", 1)
    rc, out, err = kubectl(cl, cache, "apply", "--server-side", "-f", "-", stdin=json.dumps(d))
    assert rc == 0 and out.strip() == "deployment.apps/kssa serverside-applied", (rc, out, err)
    o = get(cl, APPS + "/deployments/kssa")
    e = entry(o, "kubectl", "Apply")
    assert e["fieldsV1"]["f:spec"]["f:replicas"] == {}, e
    # update
    d["spec"]["replicas"] = 3
    rc, out, err = kubectl(cl, cache, "apply", "--server-side", "-f", "-", stdin=json.dumps(d))
    assert rc == 0 and out.strip() == "deployment.apps/kssa serverside-applied", (rc, out, err)
    assert get(cl, APPS + "/deployments/kssa")["spec"]["replicas"] == 3
    # another manager changing what kubectl owns: a conflict, kubectl exits 1 with upstream's text
    d["spec"]["replicas"] = 4
    rc, out, err = kubectl(cl, cache, "apply", "--server-side", "--field-manager", "other", "-f", "-",
                           stdin=json.dumps(d))
    assert rc == 1, (rc, out, err)
    assert "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas" in err, err
    assert "--force-conflicts" in err, err
    assert get(cl, APPS + "/deployments/kssa")["spec"]["replicas"] == 3
    # a field the schema does not have: the server's 500, as kube-apiserver 1.33 answers it
    b = deployment("kssa", 3)
    b["spec"]["bogus"] = 1
    rc, out, err = kubectl(cl, cache, "apply", "--server-side", "-f", "-", stdin=json.dumps(b))
    assert rc == 1, (rc, out, err)
    # the server's answer, unless this kubectl validated on its own side first (it does when the server's OpenAPI
    # does not declare fieldValidation)
    assert ("Error from server: failed to create typed patch object (default/kssa; apps/v1, Kind=Deployment): "
            ".spec.bogus: field not declared in schema" in err) or 'unknown field "spec.bogus"' in err, err
    if not force_supported(cl):
        skip("kubectl --force-conflicts: the server does not pass the force parameter yet (apiserver/server.c)")
        return
    rc, out, err = kubectl(cl, cache, "apply", "--server-side", "--field-manager", "other", "--force-conflicts",
                           "-f", "-", stdin=json.dumps(d))
    assert rc == 0 and out.strip() == "deployment.apps/kssa serverside-applied", (rc, out, err)
    o = get(cl, APPS + "/deployments/kssa")
    assert o["spec"]["replicas"] == 4 and "f:replicas" in entry(o, "other", "Apply")["fieldsV1"]["f:spec"], o
    assert "f:replicas" not in entry(o, "kubectl", "Apply")["fieldsV1"]["f:spec"]


def t_kubectl_client_then_server_side(cl):
    """kubectl's upgrade path: an object made by client-side apply is taken over by `apply --server-side`."""
    cache = tempfile.mkdtemp(dir=cl.tmp, prefix="kcache-")
    d = deployment("kup", 2)
    rc, out, err = kubectl(cl, cache, "apply", "-f", "-", stdin=json.dumps(d))
    assert rc == 0 and out.strip() == "deployment.apps/kup created", (rc, out, err)
    o = get(cl, APPS + "/deployments/kup")
    assert ("kubectl-client-side-apply", "Update") in managers(o), o["metadata"].get("managedFields")
    d["spec"]["replicas"] = 5
    rc, out, err = kubectl(cl, cache, "apply", "--server-side", "-f", "-", stdin=json.dumps(d))
    assert rc == 0 and out.strip() == "deployment.apps/kup serverside-applied", (rc, out, err)
    o = get(cl, APPS + "/deployments/kup")
    assert o["spec"]["replicas"] == 5, o["spec"]
    last = json.loads(o["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["replicas"] == 5, last
    # a different manager still conflicts with the fields kubectl now applies
    d["spec"]["replicas"] = 6
    rc, out, err = kubectl(cl, cache, "apply", "--server-side", "--field-manager", "foo", "-f", "-",
                           stdin=json.dumps(d))
    assert rc == 1 and "conflict with \"kubectl\"" in err and ".spec.replicas" in err, (rc, out, err)


TESTS = [t_apply_create, t_apply_update, t_apply_conflict, t_apply_force, t_apply_removes_fields, t_two_managers,
         t_apply_status, t_apply_dry_run, t_apply_errors, t_update_entries, t_managed_fields_reset,
         t_validation_create, t_validation_update, t_validation_patch, t_validation_apply, t_kubectl_server_side,
         t_kubectl_client_then_server_side]

if __name__ == "__main__":
    raise SystemExit(k8ctest.run_tests(TESTS, __doc__, prefix="k8c-apply-"))
