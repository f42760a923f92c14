/* cli.c - kctl's flag table, command table and dispatch. Commands that are not built yet say so plainly and
 * exit 1; nothing pretends to work. */
#include "kctl.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifndef K8C_VERSION
#define K8C_VERSION "0.1.0"
#endif

static int not_built(struct kctl_config *cfg);

static const struct kctl_command commands[] = {
    { { "config", "view" }, kctl_cmd_config_view, "show the merged kubeconfig (--raw, --minify, -o json|yaml)", NULL },
    { { "config", "current-context" }, kctl_cmd_config_current_context, "print the current context", NULL },
    { { "config", "get-contexts" }, kctl_cmd_config_get_contexts, "list the contexts", NULL },
    { { "config", "use-context" },
      kctl_cmd_config_use_context,
      "set the current-context in the kubeconfig",
      "Set the current-context in a kubeconfig file.\n\nUsage:\n  kctl config use-context CONTEXT_NAME [options]\n" },
    { { "config", "set-context" },
      kctl_cmd_config_set_context,
      "set a context entry in the kubeconfig",
      "Set a context entry in kubeconfig. Specifying a name that already exists merges new fields on top of\n"
      "existing values for those fields.\n\nExamples:\n  kctl config set-context --current --namespace=shop\n"
      "  kctl config set-context dev --cluster=alpha --user=admin\n\nOptions:\n"
      "    --cluster='': cluster for the context entry\n    --current=false: modify the current context\n"
      "    --namespace='': namespace for the context entry\n    --user='': user for the context entry\n\n"
      "Usage:\n  kctl config set-context [NAME | --current] [--cluster=cluster_nickname] [--user=user_nickname]\n"
      "[--namespace=namespace] [options]\n" },
    { { "version" }, kctl_cmd_version, "print the client and server versions (--client: client only)", NULL },
    { { "apply" },
      kctl_cmd_apply,
      "apply a configuration to resources by file name or stdin",
      "Apply a configuration to a resource by file name or stdin: each object is created, or patched with the\n"
      "three-way strategic merge of kubectl apply (kubectl and kctl can manage the same objects).\n\n"
      "Examples:\n  kctl apply -f app.yaml\n  kctl apply -f dir/ -R --wait\n  cat app.yaml | kctl apply -f -\n"
      "  kctl apply -f app.yaml --server-side --force-conflicts\n  kctl apply -f dir/ --prune -l app=web\n\n"
      "Options:\n    -f, --filename=[]: files, directories or - for stdin\n"
      "    -R, --recursive=false: process the directories of -f recursively\n"
      "    --dry-run='none': none, client (send nothing) or server (dryRun=All)\n"
      "    --server-side=false: server-side apply (application/apply-patch+yaml)\n"
      "    --force-conflicts=false: with --server-side, take over fields other managers own\n"
      "    --field-manager='': the field manager (kubectl-client-side-apply, or kubectl with --server-side)\n"
      "    --prune=false: delete objects matching -l (or --all) that were applied before but are gone from -f\n"
      "    --wait=false: wait for rollouts, jobs and pods to be ready (--timeout, default forever)\n"
      "    -o, --output='': name, yaml or json\n\n"
      "Usage:\n  kctl apply (-f FILENAME) [options]\n" },
    { { "wait" },
      kctl_cmd_wait,
      "wait for a condition on one or many resources",
      "Wait for a specific condition on one or many resources.\n\n"
      "Examples:\n  kctl wait --for=condition=Ready pod/busybox1\n"
      "  kctl wait --for=condition=Ready=false pod/busybox1\n"
      "  kctl wait --for=jsonpath='{.status.phase}'=Running pod/busybox1\n"
      "  kctl wait --for=delete pod/busybox1 --timeout=60s\n  kctl wait --for=create configmap/x\n\n"
      "Options:\n    --for='': delete, create, condition=condition-name[=condition-value] or "
      "jsonpath='{path}'[=value]\n"
      "    --timeout=30s: how long to wait (negative: a week)\n    -l, --selector='': label selector\n"
      "    --all=false: every object of the type\n    -f, --filename=[]: the objects of these files\n\n"
      "Usage:\n  kctl wait ([-f FILENAME] | resource.group/resource.name | resource.group [(-l label | --all)]) "
      "[--for=delete|--for condition=available|--for=jsonpath='{}'[=value]] [options]\n" },
    { { "rollout", "status" },
      kctl_cmd_rollout_status,
      "show the status of the rollout",
      "Show the status of the rollout of a deployment, daemon set or stateful set until it completes.\n\n"
      "Examples:\n  kctl rollout status deployment/nginx\n  kctl rollout status ds/agent --timeout=2m\n\n"
      "Usage:\n  kctl rollout status (TYPE NAME | TYPE/NAME) [--timeout=0s] [options]\n" },
    { { "rollout", "restart" },
      kctl_cmd_rollout_restart,
      "restart a resource",
      "Restart a deployment, daemon set or stateful set: sets the kubectl.kubernetes.io/restartedAt annotation of\n"
      "its pod template.\n\nExamples:\n  kctl rollout restart deployment/nginx\n\n"
      "Usage:\n  kctl rollout restart RESOURCE [options]\n" },
    { { "rollout", "history" },
      kctl_cmd_rollout_history,
      "view rollout history",
      "View the revisions of a deployment (its ReplicaSets and their deployment.kubernetes.io/revision), a daemon set\n"
      "or a stateful set (its ControllerRevisions).\n\n"
      "Examples:\n  kctl rollout history deployment/abc\n  kctl rollout history deployment/abc --revision=3\n\n"
      "Usage:\n  kctl rollout history (TYPE NAME | TYPE/NAME) [--revision=N] [options]\n" },
    { { "rollout", "undo" },
      kctl_cmd_rollout_undo,
      "undo a previous rollout",
      "Roll a deployment back to the previous revision, or to --to-revision.\n\n"
      "Examples:\n  kctl rollout undo deployment/abc\n  kctl rollout undo deployment/abc --to-revision=3\n\n"
      "Usage:\n  kctl rollout undo (TYPE NAME | TYPE/NAME) [--to-revision=N] [--dry-run=none|client|server] "
      "[options]\n" },
    { { "rollout", "pause" },
      kctl_cmd_rollout_pause,
      "mark the provided resource as paused",
      "Mark the provided resource as paused (spec.paused of a deployment): changes to it do not roll out until it is\n"
      "resumed.\n\nExamples:\n  kctl rollout pause deployment/nginx\n\n"
      "Usage:\n  kctl rollout pause RESOURCE [options]\n" },
    { { "rollout", "resume" },
      kctl_cmd_rollout_resume,
      "resume a paused resource",
      "Resume a paused resource (a deployment).\n\nExamples:\n  kctl rollout resume deployment/nginx\n\n"
      "Usage:\n  kctl rollout resume RESOURCE [options]\n" },
    { { "get" },
      kctl_cmd_get,
      "display one or many resources",
      "Display one or many resources.\n\n"
      "Prints a table of the most important information about the specified resources, as the server's Table\n"
      "API describes them. Filter with a label selector (-l) or a field selector (--field-selector).\n\n"
      "Examples:\n  kctl get pods\n  kctl get po,svc -o wide\n  kctl get deployment.apps/web -o yaml\n"
      "  kctl get all -A\n  kctl get pods -o jsonpath='{range .items[*]}{.metadata.name}{\"\\n\"}{end}'\n"
      "  kctl get pods -o custom-columns=NAME:.metadata.name,IP:.status.podIP --sort-by=.metadata.name\n"
      "  kctl get pods -w\n\n"
      "Options:\n    -A, --all-namespaces=false: list across all namespaces\n"
      "    --field-selector='': filter by fields (key1=value1,key2!=value2)\n"
      "    --ignore-not-found=false: treat \"resource not found\" as a successful retrieval\n"
      "    -L, --label-columns='': labels to show as columns (comma-separated)\n"
      "    --no-headers=false: no header line\n"
      "    -o, --output='': json|yaml|wide|name|jsonpath=...|jsonpath-as-json=...|custom-columns=...\n"
      "    -l, --selector='': filter by labels (-l key1=value1,key2=value2)\n"
      "    --show-kind=false: list the resource type with each name\n"
      "    --show-labels=false: show all labels as the last column\n"
      "    --sort-by='': sort by a JSONPath expression (e.g. '{.metadata.name}')\n"
      "    -w, --watch=false: after listing, watch for changes\n"
      "    --watch-only=false: watch for changes without listing first\n\n"
      "Usage:\n  kctl get [(-o|--output=)json|yaml|name|wide|custom-columns=...|jsonpath=...] (TYPE[.VERSION][.GROUP]\n"
      "[NAME | -l label] | TYPE[.VERSION][.GROUP]/NAME ...) [flags] [options]\n" },
    { { "describe" },
      kctl_cmd_describe,
      "show details of a specific resource or group of resources",
      "Show details of a specific resource or group of resources.\n\n"
      "Prints a detailed description of the selected resources, including related resources such as events or\n"
      "controllers. An object is selected by its exact name or by a name prefix:\n"
      "  kctl describe TYPE NAME_PREFIX\n"
      "will first check for an exact match on TYPE and NAME_PREFIX; if no such resource exists, it describes\n"
      "every resource of that type whose name starts with NAME_PREFIX.\n\n"
      "Examples:\n  kctl describe pods web-1\n  kctl describe node node1\n  kctl describe deploy/web svc/web\n"
      "  kctl describe pods -l app=web\n\n"
      "Options:\n    -A, --all-namespaces=false: describe across all namespaces\n"
      "    -l, --selector='': filter by labels\n"
      "    --show-events=true: show the events related to the described object\n\n"
      "Usage:\n  kctl describe (-f FILENAME | TYPE [NAME_PREFIX | -l label] | TYPE/NAME) [options]\n" },
    { { "delete" },
      kctl_cmd_delete,
      "delete resources by file names, stdin, resources and names, or by selector",
      "Delete resources by file names, stdin, resources and names, or by resources and label selector. By default\n"
      "kctl waits until each object is gone (a live line on a terminal).\n\n"
      "Examples:\n  kctl delete -f ./pod.json\n  kctl delete pod,service baz foo\n  kctl delete pods -l name=myLabel\n"
      "  kctl delete pod foo --now\n  kctl delete pod foo --force --grace-period=0\n  kctl delete pods --all\n\n"
      "Options:\n    --all=false: every object of the types\n"
      "    --cascade='background': background, foreground or orphan (the dependents)\n"
      "    --dry-run='none': none, client or server\n    -f, --filename=[]: the objects of these files\n"
      "    --force=false: delete at once (grace period 0) without waiting for the kubelet\n"
      "    --grace-period=-1: seconds for the object to terminate gracefully (-1: its own default)\n"
      "    --ignore-not-found=false: no error for objects that do not exist\n"
      "    --now=false: grace period 1 (immediate shutdown)\n    -o, --output='': name\n"
      "    -R, --recursive=false: process the directories of -f recursively\n"
      "    -l, --selector='': label selector\n    --timeout=0s: how long to wait (0: a week)\n"
      "    --wait=true: wait until the objects are gone\n\n"
      "Usage:\n  kctl delete ([-f FILENAME] | TYPE [(NAME | -l label | --all)]) [options]\n" },
    { { "create" },
      kctl_cmd_create,
      "create a resource from a file or from stdin",
      "Create a resource from a file or from stdin, or one of the kinds below from flags.\n\n"
      "Available Commands:\n  configmap    create a config map from files, directories or literal values\n"
      "  cronjob      create a cron job with the specified name\n"
      "  deployment   create a deployment with the specified name\n"
      "  ingress      create an ingress with the specified name\n"
      "  job          create a job with the specified name (or --from=cronjob/NAME)\n"
      "  namespace    create a namespace with the specified name\n"
      "  secret       create a secret: generic, tls or docker-registry\n"
      "  service      create a service: clusterip, nodeport or loadbalancer\n"
      "  serviceaccount  create a service account with the specified name\n\n"
      "Examples:\n  kctl create -f ./pod.json\n  cat pod.json | kctl create -f -\n\n"
      "Usage:\n  kctl create -f FILENAME [options]\n" },
    { { "create", "namespace" },
      kctl_cmd_create_namespace,
      NULL,
      "Create a namespace with the specified name.\n\nExamples:\n  kctl create namespace my-namespace\n\n"
      "Usage:\n  kctl create namespace NAME [--dry-run=none|client|server] [options]\n" },
    { { "create", "ns" }, kctl_cmd_create_namespace, NULL, NULL },
    { { "create", "configmap" },
      kctl_cmd_create_configmap,
      NULL,
      "Create a config map based on a file, directory, or specified literal value.\n\nExamples:\n"
      "  kctl create configmap my-config --from-file=path/to/bar\n"
      "  kctl create configmap my-config --from-file=key1=/path/to/bar/file1.txt\n"
      "  kctl create configmap my-config --from-literal=key1=config1 --from-literal=key2=config2\n\n"
      "Usage:\n  kctl create configmap NAME [--from-file=[key=]source] [--from-literal=key1=value1] "
      "[--dry-run=none|client|server] [options]\n" },
    { { "create", "cm" }, kctl_cmd_create_configmap, NULL, NULL },
    { { "create", "secret" }, kctl_cmd_create_secret, NULL, NULL },
    { { "create", "secret", "generic" },
      kctl_cmd_create_secret_generic,
      NULL,
      "Create a secret from files, directories or literal values.\n\nExamples:\n"
      "  kctl create secret generic my-secret --from-literal=key1=supersecret\n"
      "  kctl create secret generic my-secret --from-file=ssh-privatekey=path/to/id_rsa\n\n"
      "Usage:\n  kctl create secret generic NAME [--type=string] [--from-file=[key=]source] "
      "[--from-literal=key1=value1] [--dry-run=none|client|server] [options]\n" },
    { { "create", "secret", "tls" },
      kctl_cmd_create_secret_tls,
      NULL,
      "Create a TLS secret from the given public/private key pair (checked to belong together).\n\nExamples:\n"
      "  kctl create secret tls tls-secret --cert=path/to/tls.crt --key=path/to/tls.key\n\n"
      "Usage:\n  kctl create secret tls NAME --cert=path/to/cert/file --key=path/to/key/file "
      "[--dry-run=none|client|server] [options]\n" },
    { { "create", "secret", "docker-registry" },
      kctl_cmd_create_secret_docker_registry,
      NULL,
      "Create a new secret for use with Docker registries (a .dockerconfigjson as kubectl builds it).\n\n"
      "Examples:\n  kctl create secret docker-registry my-secret --docker-server=DOCKER_REGISTRY_SERVER "
      "--docker-username=DOCKER_USER --docker-password=DOCKER_PASSWORD --docker-email=DOCKER_EMAIL\n\n"
      "Options:\n    --docker-server='https://index.docker.io/v1/': server location for the registry\n"
      "    --docker-username='', --docker-password='', --docker-email='': the credentials\n"
      "    --from-file=[]: key files (e.g. .dockerconfigjson=path)\n\n"
      "Usage:\n  kctl create secret docker-registry NAME --docker-username=user --docker-password=password "
      "--docker-email=email [--docker-server=string] [--from-file=[key=]source] [--dry-run=none|client|server] "
      "[options]\n" },
    { { "create", "service" },
      kctl_cmd_create_service,
      NULL,
      "Create a service using a specified subcommand.\n\nAvailable Commands:\n  clusterip      Create a ClusterIP "
      "service\n  loadbalancer   Create a LoadBalancer service\n  nodeport       Create a NodePort service\n\n"
      "Usage:\n  kctl create service [flags] [options]\n" },
    { { "create", "svc" }, kctl_cmd_create_service, NULL, NULL },
    { { "create", "service", "clusterip" },
      kctl_cmd_create_service_clusterip,
      NULL,
      "Create a ClusterIP service with the specified name.\n\nExamples:\n"
      "  kctl create service clusterip my-cs --tcp=5678:8080\n  kctl create service clusterip my-cs "
      "--clusterip=\"None\"\n\n"
      "Usage:\n  kctl create service clusterip NAME [--tcp=<port>:<targetPort>] [--dry-run=server|client|none] "
      "[options]\n" },
    { { "create", "svc", "clusterip" }, kctl_cmd_create_service_clusterip, NULL, NULL },
    { { "create", "service", "nodeport" },
      kctl_cmd_create_service_nodeport,
      NULL,
      "Create a NodePort service with the specified name.\n\nExamples:\n"
      "  kctl create service nodeport my-ns --tcp=5678:8080\n\n"
      "Usage:\n  kctl create service nodeport NAME [--tcp=port:targetPort] [--node-port=N] "
      "[--dry-run=server|client|none] [options]\n" },
    { { "create", "svc", "nodeport" }, kctl_cmd_create_service_nodeport, NULL, NULL },
    { { "create", "service", "loadbalancer" },
      kctl_cmd_create_service_loadbalancer,
      NULL,
      "Create a LoadBalancer service with the specified name.\n\nExamples:\n"
      "  kctl create service loadbalancer my-lbs --tcp=5678:8080\n\n"
      "Usage:\n  kctl create service loadbalancer NAME [--tcp=port:targetPort] [--dry-run=server|client|none] "
      "[options]\n" },
    { { "create", "svc", "loadbalancer" }, kctl_cmd_create_service_loadbalancer, NULL, NULL },
    { { "create", "serviceaccount" },
      kctl_cmd_create_serviceaccount,
      NULL,
      "Create a service account with the specified name.\n\nExamples:\n  kctl create serviceaccount my-service-account"
      "\n\nUsage:\n  kctl create serviceaccount NAME [--dry-run=server|client|none] [options]\n" },
    { { "create", "sa" }, kctl_cmd_create_serviceaccount, NULL, NULL },
    { { "create", "cronjob" },
      kctl_cmd_create_cronjob,
      NULL,
      "Create a cron job with the specified name.\n\nExamples:\n"
      "  kctl create cronjob my-job --image=busybox --schedule=\"*/1 * * * *\"\n"
      "  kctl create cronjob my-job --image=busybox --schedule=\"*/1 * * * *\" -- date\n\n"
      "Options:\n    --restart='OnFailure': the job's restart policy (OnFailure, Never)\n\n"
      "Usage:\n  kctl create cronjob NAME --image=image --schedule='0/5 * * * ?' -- [COMMAND] [args...] [flags] "
      "[options]\n" },
    { { "create", "cj" }, kctl_cmd_create_cronjob, NULL, NULL },
    { { "create", "ingress" },
      kctl_cmd_create_ingress,
      NULL,
      "Create an ingress with the specified name.\n\nExamples:\n"
      "  kctl create ingress simple --rule=\"foo.com/bar=svc1:8080,tls=my-cert\"\n"
      "  kctl create ingress catch-all --class=otheringress --rule=\"/path=svc:port\"\n"
      "  kctl create ingress ingdefault --class=default --default-backend=defaultsvc:http "
      "--rule=\"foo.com/*=svc:8080,tls=secret1\"\n\n"
      "Options:\n    --annotation=[]: annotation=value to set on the ingress\n"
      "    --class='': the ingress class\n    --default-backend='': svcname:port\n"
      "    --rule=[]: host/path=service:port[,tls[=secret]] (a path ending in '*' is a Prefix path)\n\n"
      "Usage:\n  kctl create ingress NAME --rule=host/path=service:port[,tls[=secret]] [options]\n" },
    { { "create", "ing" }, kctl_cmd_create_ingress, NULL, NULL },
    { { "create", "deployment" },
      kctl_cmd_create_deployment,
      NULL,
      "Create a deployment with the specified name.\n\nExamples:\n  kctl create deployment my-dep --image=busybox\n"
      "  kctl create deployment my-dep --image=nginx --replicas=3 --port=80\n"
      "  kctl create deployment my-dep --image=busybox -- date\n\n"
      "Usage:\n  kctl create deployment NAME --image=image [--replicas=1] [--port=P] [-- [COMMAND] [args...]] "
      "[options]\n" },
    { { "create", "deploy" }, kctl_cmd_create_deployment, NULL, NULL },
    { { "create", "job" },
      kctl_cmd_create_job,
      NULL,
      "Create a job with the specified name.\n\nExamples:\n  kctl create job my-job --image=busybox\n"
      "  kctl create job my-job --image=busybox -- date\n  kctl create job test-job --from=cronjob/a-cronjob\n\n"
      "Usage:\n  kctl create job NAME --image=image [--from=cronjob/name] -- [COMMAND] [args...] [options]\n" },
    { { "patch" },
      kctl_cmd_patch,
      "update fields of a resource",
      "Update fields of a resource using a strategic merge patch, a JSON merge patch, or a JSON patch. The patch may\n"
      "be JSON or YAML.\n\nExamples:\n  kctl patch node k8s-node-1 -p '{\"spec\":{\"unschedulable\":true}}'\n"
      "  kctl patch pod valid-pod --type='json' -p='[{\"op\": \"replace\", \"path\": \"/spec/containers/0/image\", "
      "\"value\":\"new image\"}]'\n  kctl patch deploy web --type merge -p 'spec: {replicas: 2}'\n\n"
      "Options:\n    -p, --patch='': the patch\n    --type='strategic': json, merge or strategic\n"
      "    --dry-run='none': none, client or server\n    -f, --filename=[]: the objects to patch\n\n"
      "Usage:\n  kctl patch (-f FILENAME | TYPE NAME) -p PATCH [options]\n" },
    { { "label" },
      kctl_cmd_label,
      "update the labels on a resource",
      "Update the labels on a resource: key=value sets, key- removes; an existing different value needs "
      "--overwrite.\n\n"
      "Examples:\n  kctl label pods foo unhealthy=true\n  kctl label --overwrite pods foo status=unhealthy\n"
      "  kctl label pods --all status=unhealthy\n  kctl label pods foo bar-\n\n"
      "Usage:\n  kctl label [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N [options]\n" },
    { { "annotate" },
      kctl_cmd_annotate,
      "update the annotations on a resource",
      "Update the annotations on one or more resources: key=value sets, key- removes; an existing different value\n"
      "needs --overwrite.\n\nExamples:\n  kctl annotate pods foo description='my frontend'\n"
      "  kctl annotate --overwrite pods foo description='my frontend running nginx'\n  kctl annotate pods foo "
      "description-\n\n"
      "Usage:\n  kctl annotate [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N [options]\n" },
    { { "scale" },
      kctl_cmd_scale,
      "set a new size for a deployment, replica set, or stateful set",
      "Set a new size for a deployment, replica set or stateful set (its /scale subresource).\n\n"
      "Examples:\n  kctl scale --replicas=3 deployment/web\n  kctl scale --replicas=0 -f web.yaml\n\n"
      "Usage:\n  kctl scale --replicas=COUNT (-f FILENAME | TYPE NAME) [options]\n" },
    { { "edit" },
      kctl_cmd_edit,
      "edit a resource on the server",
      "Edit a resource in $KUBE_EDITOR, $EDITOR or vi. If saving fails (a syntax error, a refused change) the file\n"
      "is opened again with the reasons on top; saving the same failing text again gives up and keeps a copy.\n\n"
      "Examples:\n  kctl edit svc/registry\n  KUBE_EDITOR=nano kctl edit deployment web\n\n"
      "Usage:\n  kctl edit (RESOURCE/NAME | -f FILENAME) [options]\n" },
    { { "cordon" },
      kctl_cmd_cordon,
      "mark node as unschedulable",
      "Mark node as unschedulable.\n\nExamples:\n  kctl cordon foo\n\nUsage:\n  kctl cordon NODE [options]\n" },
    { { "uncordon" },
      kctl_cmd_uncordon,
      "mark node as schedulable",
      "Mark node as schedulable.\n\nExamples:\n  kctl uncordon foo\n\nUsage:\n  kctl uncordon NODE [options]\n" },
    { { "drain" },
      kctl_cmd_drain,
      "drain node in preparation for maintenance",
      "Cordon the node, then evict its pods (deleting them when the server has no eviction), except DaemonSet-managed\n"
      "ones with --ignore-daemonsets, and wait until they are gone.\n\nExamples:\n"
      "  kctl drain foo --ignore-daemonsets\n  kctl drain foo --force --grace-period=30\n\n"
      "Options:\n    --delete-emptydir-data=false: also pods with emptyDir volumes\n"
      "    --disable-eviction=false: delete instead of evicting\n    --force=false: also pods without a controller\n"
      "    --grace-period=-1: seconds for each pod to terminate\n    --ignore-daemonsets=false: leave DaemonSet pods\n"
      "    --timeout=0s: how long to wait (0: forever)\n\nUsage:\n  kctl drain NODE [options]\n" },
    { { "replace" },
      kctl_cmd_replace,
      "replace a resource by file name or stdin",
      "Replace a resource by file name or stdin (PUT). A resourceVersion in the file must be the current one.\n"
      "--force deletes the object and creates it again.\n\nExamples:\n  kctl replace -f ./pod.json\n"
      "  kctl get pod mypod -o yaml | sed 's/v4/v5/' | kctl replace -f -\n\n"
      "Usage:\n  kctl replace -f FILENAME [options]\n" },
    { { "logs" },
      kctl_cmd_logs,
      "print the logs for a container in a pod",
      "Print the logs for a container in a pod or specified resource. If the pod has only one container, the\n"
      "container name is optional.\n\n"
      "Examples:\n  kctl logs web-1\n  kctl logs web-1 -c side\n  kctl logs -f --tail=20 --timestamps web-1\n"
      "  kctl logs deploy/web\n  kctl logs -l app=web --all-containers --prefix\n\n"
      "Options:\n    --all-containers=false: all containers of the pod(s)\n"
      "    -c, --container='': print the logs of this container\n"
      "    -f, --follow=false: stream the logs\n"
      "    --limit-bytes=0: maximum bytes of logs to return\n"
      "    --max-log-requests=5: maximum number of logs to follow at once with a selector\n"
      "    --prefix=false: prefix each line with [pod/NAME/CONTAINER]\n"
      "    -p, --previous=false: the logs of the previous terminated container\n"
      "    -l, --selector='': the pods of a label selector\n"
      "    --since=0s: only logs newer than a relative duration like 5s, 2m, or 3h\n"
      "    --since-time='': only logs after a date (RFC3339)\n"
      "    --tail=-1: lines of recent log to display (10 with a selector)\n"
      "    --timestamps=false: include timestamps on each line\n\n"
      "Usage:\n  kctl logs [-f] [-p] (POD | TYPE/NAME | -l SELECTOR) [-c CONTAINER] [options]\n" },
    { { "exec" },
      kctl_cmd_exec,
      "execute a command in a container",
      "Execute a command in a container (WebSocket, v5.channel.k8s.io).\n\n"
      "Examples:\n  kctl exec web-1 -- date\n  kctl exec web-1 -c side -- ls /\n  kctl exec -i web-1 -- cat < file\n"
      "  kctl exec -it web-1 -- sh\n\n"
      "Options:\n    -c, --container='': the container (default: the annotation's, else the first)\n"
      "    -i, --stdin=false: pass stdin to the container\n    -t, --tty=false: stdin is a TTY\n\n"
      "Usage:\n  kctl exec (POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...] [options]\n" },
    { { "attach" },
      kctl_cmd_attach,
      "attach to a running container",
      "Attach to a process that is already running inside an existing container (WebSocket, v5.channel.k8s.io).\n\n"
      "Examples:\n  kctl attach web-1\n  kctl attach web-1 -c side\n  kctl attach -it web-1\n"
      "  kctl attach deploy/web -i\n\n"
      "Options:\n    -c, --container='': the container (default: the annotation's, else the first)\n"
      "    -q, --quiet=false: only print output from the remote session\n"
      "    -i, --stdin=false: pass stdin to the container\n    -t, --tty=false: stdin is a TTY\n\n"
      "Usage:\n  kctl attach (POD | TYPE/NAME) -c CONTAINER [options]\n" },
    { { "api-resources" },
      kctl_cmd_api_resources,
      "print the supported API resources on the server",
      "Print the supported API resources on the server.\n\n"
      "Examples:\n  kctl api-resources\n  kctl api-resources -o wide\n  kctl api-resources --namespaced=false\n"
      "  kctl api-resources --api-group=apps -o name\n\n"
      "Options:\n    --api-group='': limit to resources in the specified API group\n"
      "    --namespaced=true: namespaced resources (false: cluster-scoped ones)\n"
      "    --no-headers=false: no header line\n    -o, --output='': wide or name\n"
      "    --sort-by='': name or kind\n\n"
      "Usage:\n  kctl api-resources [flags] [options]\n" },
    { { "cluster-info" },
      kctl_cmd_cluster_info,
      "display cluster information",
      "Display addresses of the control plane and services with label kubernetes.io/cluster-service=true.\n\n"
      "Usage:\n  kctl cluster-info [flags] [options]\n" },
    { { "explain" },
      kctl_cmd_explain,
      "get documentation for a resource",
      "Describe fields and structure of various resources, from the server's OpenAPI v3 documents.\n\n"
      "Examples:\n  kctl explain pods\n  kctl explain pods.spec.containers\n"
      "  kctl explain deployments --api-version=apps/v1 --recursive\n\n"
      "Options:\n    --api-version='': use the given api-version (group/version) of the resource\n"
      "    --recursive=false: print the fields of fields\n\n"
      "Usage:\n  kctl explain TYPE [--recursive=FALSE|TRUE] [--api-version=api-version-group] [options]\n" },
    { { "auth", "whoami" },
      kctl_cmd_auth_whoami,
      "show the subject of the current credentials",
      "Experimental: check who you are and your attributes (groups, extra).\n\n"
      "Usage:\n  kctl auth whoami [-o json|yaml] [options]\n" },
    { { "auth", "can-i" },
      kctl_cmd_auth_can_i,
      "check whether an action is allowed",
      "Check whether an action is allowed.\n\n"
      "Examples:\n  kctl auth can-i create pods\n  kctl auth can-i list deployments.apps -A\n"
      "  kctl auth can-i get /healthz\n  kctl auth can-i --list --namespace=foo\n\n"
      "Options:\n    -A, --all-namespaces=false: in all namespaces\n"
      "    --list=false: print every allowed action (SelfSubjectRulesReview)\n"
      "    --no-headers=false: the --list table without its header\n    -q, --quiet=false: only the exit code\n"
      "    --subresource='': the subresource\n\n"
      "Usage:\n  kctl auth can-i VERB [TYPE | TYPE/NAME | NONRESOURCEURL] [options]\n" },
    { { "top" },
      kctl_cmd_top,
      "display resource (CPU/memory) usage",
      "Display resource (CPU/memory) usage of pods or nodes (needs the Metrics API).\n\n"
      "Usage:\n  kctl top (pods | nodes) [-A] [options]\n" },
    { { "completion" },
      kctl_cmd_completion,
      "output shell completion code for bash or zsh",
      "Output shell completion code for the specified shell (bash or zsh).\n\n"
      "Examples:\n  source <(kctl completion bash)\n  source <(kctl completion zsh)\n\n"
      "Usage:\n  kctl completion SHELL [options]\n" },
};

/* A flag: long name, short name, where its value goes, and the commands it belongs to. */
enum flag_type {
    FLAG_STR,  /* a const char * in struct kctl_config */
    FLAG_BOOL, /* a bool: --x, --x=true, --x=false */
    FLAG_LIST, /* a struct kctl_strlist: each use appends */
};

struct flag {
    const char *name;
    char short_name;
    size_t offset; /* of the field in struct kctl_config */
    enum flag_type type;
    const char *only; /* space-separated first command words the flag belongs to ("logs exec"); NULL = all */
};

#define STR(field)           offsetof(struct kctl_config, field), FLAG_STR, NULL
#define BOOL(field)          offsetof(struct kctl_config, field), FLAG_BOOL, NULL
#define LIST(field)          offsetof(struct kctl_config, field), FLAG_LIST, NULL
#define STR_IN(field, cmds)  offsetof(struct kctl_config, field), FLAG_STR, cmds
#define BOOL_IN(field, cmds) offsetof(struct kctl_config, field), FLAG_BOOL, cmds
#define LIST_IN(field, cmds) offsetof(struct kctl_config, field), FLAG_LIST, cmds

/* A flag that belongs to some commands only wins over a global one of the same name for those commands (-f is
 * --follow for logs, --filename elsewhere). */
static const struct flag flags[] = {
    { "kubeconfig", 0, STR(kubeconfig) },
    { "context", 0, STR(ov.context) },
    { "cluster", 0, STR(ov.cluster) },
    { "user", 0, STR(ov.user) },
    { "namespace", 'n', STR(ov.namespace) },
    { "server", 's', STR(ov.server) },
    { "token", 0, STR(ov.token) },
    { "username", 0, STR(ov.username) },
    { "password", 0, STR(ov.password) },
    { "certificate-authority", 0, STR(ov.certificate_authority) },
    { "client-certificate", 0, STR(ov.client_certificate) },
    { "client-key", 0, STR(ov.client_key) },
    { "tls-server-name", 0, STR(ov.tls_server_name) },
    { "insecure-skip-tls-verify", 0, BOOL(ov.insecure_skip_tls_verify) },
    { "request-timeout", 0, STR(request_timeout) },
    { "output", 'o', STR(output) },
    { "raw", 0, BOOL(raw) },
    { "minify", 0, BOOL(minify) },
    { "client", 0, BOOL(client_only) },
    { "help", 'h', BOOL(help) },
    /* get, describe and friends */
    { "selector", 'l', STR(selector) },
    { "field-selector", 0, STR(field_selector) },
    { "all-namespaces", 'A', BOOL(all_namespaces) },
    { "show-labels", 0, BOOL(show_labels) },
    { "no-headers", 0, BOOL(no_headers) },
    { "sort-by", 0, STR(sort_by) },
    { "label-columns", 'L', STR(label_columns) },
    { "watch", 'w', BOOL_IN(watch, "get") },
    { "watch-only", 0, BOOL_IN(watch_only, "get") },
    { "show-kind", 0, BOOL_IN(show_kind, "get") },
    { "show-managed-fields", 0, BOOL(show_managed_fields) },
    { "ignore-not-found", 0, BOOL(ignore_not_found) },
    { "show-events", 0, STR_IN(show_events, "describe") },
    /* logs, exec */
    { "container", 'c', STR_IN(container, "logs exec attach") },
    { "follow", 'f', BOOL_IN(follow, "logs") },
    { "tail", 0, STR_IN(tail, "logs") },
    { "timestamps", 0, BOOL_IN(timestamps, "logs") },
    { "previous", 'p', BOOL_IN(previous, "logs") },
    { "all-containers", 0, BOOL_IN(all_containers, "logs") },
    { "since", 0, STR_IN(since, "logs") },
    { "limit-bytes", 0, STR_IN(limit_bytes, "logs") },
    { "stdin", 'i', BOOL_IN(stdin_, "exec attach") },
    { "tty", 't', BOOL_IN(tty, "exec attach") },
    /* config, api-resources, explain, auth */
    { "current", 0, BOOL_IN(current, "config") },
    { "namespaced", 0, STR_IN(namespaced, "api-resources") },
    { "api-group", 0, STR_IN(api_group, "api-resources") },
    { "api-version", 0, STR_IN(api_version, "explain") },
    { "recursive", 0, BOOL_IN(recursive_explain, "explain") },
    { "quiet", 'q', BOOL_IN(quiet, "auth attach exec") },
    { "list", 0, BOOL_IN(list, "auth") },
    { "subresource", 0, STR_IN(subresource, "auth") },
    /* apply, delete, create, replace, patch, label, annotate, scale, rollout, wait, edit, cordon, drain */
    { "filename", 'f', LIST(filenames) },
    { "recursive", 'R', BOOL(recursive) },
    { "server-side", 0, BOOL_IN(server_side, "apply") },
    { "force-conflicts", 0, BOOL_IN(force_conflicts, "apply") },
    { "field-manager", 0, STR(field_manager) },
    { "dry-run", 0, STR(dry_run) },
    { "prune", 0, BOOL_IN(prune, "apply") },
    { "wait", 0, BOOL_IN(wait, "apply") },
    { "wait", 0, BOOL_IN(delete_wait, "delete") },
    { "grace-period", 0, STR_IN(grace_period, "delete drain replace") },
    { "force", 0, BOOL(force) },
    { "now", 0, BOOL_IN(now, "delete") },
    { "all", 0, BOOL(all) },
    { "cascade", 0, STR_IN(cascade, "delete") },
    { "timeout", 0, STR(timeout) },
    { "from-literal", 0, LIST_IN(from_literal, "create") },
    { "from-file", 0, LIST_IN(from_file, "create") },
    { "image", 0, STR_IN(image, "create") },
    { "replicas", 0, STR_IN(replicas, "create scale") },
    { "port", 0, STR_IN(port, "create") },
    { "type", 0, STR_IN(secret_type, "create") },
    { "type", 0, STR_IN(patch_type, "patch") },
    { "patch", 'p', STR_IN(patch, "patch") },
    { "overwrite", 0, BOOL_IN(overwrite, "label annotate") },
    { "for", 0, STR_IN(wait_for, "wait") },
    { "revision", 0, STR_IN(revision, "rollout") },
    { "to-revision", 0, STR_IN(to_revision, "rollout") },
    { "ignore-daemonsets", 0, BOOL_IN(ignore_daemonsets, "drain") },
    { "delete-emptydir-data", 0, BOOL_IN(delete_emptydir_data, "drain") },
    { "disable-eviction", 0, BOOL_IN(disable_eviction, "drain") },
    { "validate", 0, STR(validate) },
    /* logs -l, get --output-watch-events, the other create generators */
    { "prefix", 0, BOOL_IN(prefix, "logs") },
    { "max-log-requests", 0, STR_IN(max_log_requests, "logs") },
    { "since-time", 0, STR_IN(since_time, "logs") },
    { "output-watch-events", 0, BOOL_IN(output_watch_events, "get") },
    { "cert", 0, STR_IN(cert, "create") },
    { "key", 0, STR_IN(key, "create") },
    { "docker-server", 0, STR_IN(docker_server, "create") },
    { "docker-username", 0, STR_IN(docker_username, "create") },
    { "docker-password", 0, STR_IN(docker_password, "create") },
    { "docker-email", 0, STR_IN(docker_email, "create") },
    { "from", 0, STR_IN(from, "create") },
    { "tcp", 0, LIST_IN(tcp, "create") },
    { "node-port", 0, STR_IN(node_port, "create") },
    { "clusterip", 0, STR_IN(cluster_ip, "create") },
    { "schedule", 0, STR_IN(schedule, "create") },
    { "restart", 0, STR_IN(restart, "create") },
    { "rule", 0, LIST_IN(rules, "create") },
    { "annotation", 0, LIST_IN(annotations, "create") },
    { "class", 0, STR_IN(ingress_class, "create") },
    { "default-backend", 0, STR_IN(default_backend, "create") },
};

/* True when word is one of the space-separated words of list. */
static bool
word_in(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

/* The flag for --name (len bytes) or -x, as the command whose first word is cmd sees it (cmd NULL before the
 * command word: only global flags). */
static const struct flag *
find_flag(const char *name, size_t len, char short_name, const char *cmd)
{
    const struct flag *global = NULL;
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        const struct flag *f = &flags[i];
        if (!(short_name ? f->short_name == short_name : strlen(f->name) == len && strncmp(f->name, name, len) == 0))
            continue;
        if (!f->only) {
            if (!global)
                global = f;
        } else if (cmd && word_in(f->only, cmd)) {
            return f;
        }
    }
    return global;
}

static void
usage(FILE *f)
{
    fprintf(f, "kctl controls a k8c (Kubernetes-compatible) cluster.\n\nCommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (!commands[i].help || commands[i].run == not_built)
            continue;
        char words[64];
        snprintf(words, sizeof(words), "%s%s%s%s%s", commands[i].words[0], commands[i].words[1] ? " " : "",
                 commands[i].words[1] ? commands[i].words[1] : "", commands[i].words[2] ? " " : "",
                 commands[i].words[2] ? commands[i].words[2] : "");
        fprintf(f, "  %-24s %s\n", words, commands[i].help);
    }
    bool first = true;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (commands[i].run != not_built)
            continue;
        fprintf(f, "%s%s", first ? "\nNot built yet: " : ", ", commands[i].words[0]);
        first = false;
    }
    fprintf(f,
            "%s\nGlobal flags: --kubeconfig, --context, --cluster, --user, -n/--namespace, -s/--server, --token,\n"
            "  --certificate-authority, --client-certificate, --client-key, --insecure-skip-tls-verify,\n"
            "  --request-timeout\n\nUse \"kctl <command> --help\" for more information about a given command.\n",
            first ? "" : ".\n");
}

/* `kctl config` alone: the commands of the group. */
static void
group_usage(FILE *f, const char *group)
{
    fprintf(f, "Available Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (commands[i].words[1] && strcmp(commands[i].words[0], group) == 0 && commands[i].help)
            fprintf(f, "  %-18s %s\n", commands[i].words[1], commands[i].help);
    fprintf(f, "\nUsage:\n  kctl %s SUBCOMMAND [options]\n", group);
}

/* `kctl CMD --help`: the command's text, or its one-line help and a usage line. */
static void
command_usage(FILE *f, const struct kctl_command *c)
{
    char words[64];
    snprintf(words, sizeof(words), "%s%s%s", c->words[0], c->words[1] ? " " : "", c->words[1] ? c->words[1] : "");
    if (c->usage) {
        fputs(c->usage, f);
        size_t n = strlen(c->usage);
        if (n && c->usage[n - 1] != '\n')
            fputc('\n', f);
    } else {
        fprintf(f, "%s\n\nUsage:\n  kctl %s [options]\n", c->help ? c->help : "Not built yet.", words);
    }
    fprintf(f, "\nUse \"kctl --help\" for the global flags.\n");
}

/* Sets one flag's value; val NULL for a boolean given without one. Returns 0 or 2 (message printed). */
static int
set_flag(struct kctl_config *cfg, const struct flag *f, const char *val)
{
    void *field = (char *)cfg + f->offset;
    switch (f->type) {
    case FLAG_BOOL:
        if (val && strcmp(val, "true") != 0 && strcmp(val, "false") != 0) {
            fprintf(cfg->err,
                    "error: invalid argument \"%s\" for \"--%s\" flag: strconv.ParseBool: parsing \"%s\": "
                    "invalid syntax\n",
                    val, f->name, val);
            return 2;
        }
        *(bool *)field = !val || strcmp(val, "true") == 0;
        return 0;
    case FLAG_STR:
        *(const char **)field = val;
        return 0;
    case FLAG_LIST: {
        struct kctl_strlist *l = field;
        if (l->n >= (int)(sizeof(l->v) / sizeof(l->v[0]))) {
            fprintf(cfg->err, "error: too many --%s flags\n", f->name);
            return 2;
        }
        l->v[l->n++] = val;
        return 0;
    }
    }
    return 0;
}

int
kctl_parse(int argc, char **argv, struct kctl_config *cfg, const struct kctl_command **cmd)
{
    const char *words[72];
    int nwords = 0;
    int dash = -1;
    cfg->dash = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (dash < 0 && strcmp(a, "--") == 0) {
            dash = nwords;
            continue;
        }
        if (dash >= 0 || a[0] != '-' || a[1] == '\0') {
            if (nwords >= 72) {
                fprintf(cfg->err, "error: too many arguments\n");
                return 2;
            }
            words[nwords++] = a;
            continue;
        }
        const char *word0 = nwords > 0 ? words[0] : NULL;
        const struct flag *f;
        const char *val = NULL;
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            f = find_flag(a + 2, len, 0, word0);
            if (eq)
                val = eq + 1;
            if (!f) {
                fprintf(cfg->err, "error: unknown flag: --%.*s\nSee 'kctl %s%s--help' for usage.\n", (int)len, a + 2,
                        word0 ? word0 : "", word0 ? " " : "");
                return 2;
            }
        } else {
            /* -abc: booleans may be grouped (-it); a value-taking flag takes the rest of the word */
            for (const char *p = a + 1; *p; p++) {
                f = find_flag(NULL, 0, *p, word0);
                if (!f) {
                    fprintf(cfg->err, "error: unknown shorthand flag: '%c' in %s\nSee 'kctl %s%s--help' for usage.\n",
                            *p, a, word0 ? word0 : "", word0 ? " " : "");
                    return 2;
                }
                if (f->type == FLAG_BOOL && p[1] != '=') {
                    set_flag(cfg, f, NULL);
                    f = NULL;
                    continue;
                }
                if (p[1])
                    val = p[1] == '=' ? p + 2 : p + 1;
                break;
            }
            if (!f)
                continue;
        }
        if (f->type == FLAG_BOOL) {
            if (set_flag(cfg, f, val) != 0)
                return 2;
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(cfg->err, "error: flag needs an argument: %s\nSee 'kctl %s%s--help' for usage.\n", a,
                        word0 ? word0 : "", word0 ? " " : "");
                return 2;
            }
            val = argv[++i];
        }
        if (set_flag(cfg, f, val) != 0)
            return 2;
    }
    if (nwords == 0 || (dash == 0)) {
        usage(cfg->help ? cfg->out : cfg->err);
        return cfg->help ? 1 : 2;
    }
    const struct kctl_command *best = NULL;
    int best_n = 0;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        int n = 0;
        while (n < 3 && commands[i].words[n] && n < nwords && (dash < 0 || n < dash) &&
               strcmp(commands[i].words[n], words[n]) == 0)
            n++;
        if (n == 0 || (n < 3 && commands[i].words[n]))
            continue;
        if (n > best_n) {
            best = &commands[i];
            best_n = n;
        }
    }
    if (!best) {
        /* "kctl config" alone, or "kctl config nope": the group's commands */
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
            if (commands[i].words[1] && strcmp(commands[i].words[0], words[0]) == 0) {
                if (cfg->help || nwords == 1) {
                    group_usage(cfg->help ? cfg->out : cfg->err, words[0]);
                    return cfg->help ? 1 : 2;
                }
                fprintf(cfg->err, "error: unknown command \"%s\" for \"kctl %s\"\nRun 'kctl %s --help' for usage.\n",
                        words[1], words[0], words[0]);
                return 2;
            }
        fprintf(cfg->err, "error: unknown command \"%s\" for \"kctl\"\nRun 'kctl --help' for usage.\n", words[0]);
        return 2;
    }
    if (cfg->help) {
        command_usage(cfg->out, best);
        return 1;
    }
    for (int j = best_n; j < nwords && cfg->nargs < 64; j++) {
        if (dash >= 0 && j == dash && cfg->dash < 0)
            cfg->dash = cfg->nargs;
        cfg->args[cfg->nargs++] = words[j];
    }
    if (dash >= 0 && cfg->dash < 0)
        cfg->dash = cfg->nargs;
    cfg->cmd = best;
    *cmd = best;
    return 0;
}

static int
not_built(struct kctl_config *cfg)
{
    (void)cfg;
    fprintf(cfg->err, "error: this kctl does not implement that command yet (kctl is being built: the command-line "
                      "client comes with the API server)\n");
    return 1;
}

int
kctl_load_config(struct kctl_config *cfg, struct kc_kubeconfig **kc)
{
    char err[512];
    if (kc_kubeconfig_load(cfg->kubeconfig, kc, err, sizeof(err)) != 0) {
        /* a missing --kubeconfig file fails in kubectl's flag handling, before any command: cobra's "Error: " and
         * Go's lower-case errno text */
        if (strncmp(err, "stat ", 5) == 0) {
            char *colon = strrchr(err, ':');
            if (colon && colon[1] == ' ')
                colon[2] = (char)tolower((unsigned char)colon[2]);
            fprintf(cfg->err, "Error: %s\n", err);
        } else {
            fprintf(cfg->err, "error: %s\n", err);
        }
        return 1;
    }
    return 0;
}

int
kctl_main(int argc, char **argv, FILE *out, FILE *err)
{
    struct kctl_config cfg = { .out = out, .err = err, .delete_wait = true };
    const struct kctl_command *cmd;
    int rc = kctl_parse(argc, argv, &cfg, &cmd);
    if (rc != 0)
        return rc == 1 ? 0 : rc; /* --help is a success */
    return cmd->run(&cfg);
}
