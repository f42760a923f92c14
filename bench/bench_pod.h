/* bench_pod.h - the pod every API benchmark creates (bench/apibench, bench/managedbench): what a Deployment's pod
 * looks like (labels, owner-less; one app container with ports, env, resources, probes, a volume mount; an init
 * container; volumes; tolerations), about 2 KiB. A printf format: the pod's name, then its namespace. */
#ifndef BENCH_POD_H
#define BENCH_POD_H

#define BENCH_POD_FORMAT                                                                                             \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\","                    \
    "\"labels\":{\"app\":\"web\",\"tier\":\"frontend\",\"pod-template-hash\":\"5d9c8f7b6\",\"release\":\"stable\"}," \
    "\"annotations\":{\"prometheus.io/scrape\":\"true\",\"prometheus.io/port\":\"9102\"}},"                          \
    "\"spec\":{\"initContainers\":[{\"name\":\"init-config\",\"image\":\"busybox:1.36\","                            \
    "\"command\":[\"sh\",\"-c\",\"cp /src/config.yaml /config/config.yaml\"],"                                       \
    "\"volumeMounts\":[{\"name\":\"config\",\"mountPath\":\"/config\"}]}],"                                          \
    "\"containers\":[{\"name\":\"web\",\"image\":\"registry.example.com/team/web:1.27.3\","                          \
    "\"imagePullPolicy\":\"IfNotPresent\",\"args\":[\"--port=8080\",\"--metrics-port=9102\",\"--log-level=info\"],"  \
    "\"ports\":[{\"name\":\"http\",\"containerPort\":8080,\"protocol\":\"TCP\"},"                                    \
    "{\"name\":\"metrics\",\"containerPort\":9102,\"protocol\":\"TCP\"}],"                                           \
    "\"env\":[{\"name\":\"APP_ENV\",\"value\":\"production\"},{\"name\":\"APP_REGION\",\"value\":\"eu-west-1\"},"    \
    "{\"name\":\"POD_NAME\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}},"                        \
    "{\"name\":\"POD_IP\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"status.podIP\"}}}],"                          \
    "\"resources\":{\"requests\":{\"cpu\":\"250m\",\"memory\":\"256Mi\"},"                                           \
    "\"limits\":{\"cpu\":\"1\",\"memory\":\"512Mi\"}},"                                                              \
    "\"readinessProbe\":{\"httpGet\":{\"path\":\"/healthz\",\"port\":8080},\"initialDelaySeconds\":5,"               \
    "\"periodSeconds\":10},"                                                                                         \
    "\"livenessProbe\":{\"httpGet\":{\"path\":\"/livez\",\"port\":8080},\"initialDelaySeconds\":15,"                 \
    "\"periodSeconds\":20,\"failureThreshold\":3},"                                                                  \
    "\"volumeMounts\":[{\"name\":\"config\",\"mountPath\":\"/etc/web\",\"readOnly\":true},"                          \
    "{\"name\":\"cache\",\"mountPath\":\"/var/cache/web\"}]}],"                                                      \
    "\"volumes\":[{\"name\":\"config\",\"emptyDir\":{}},{\"name\":\"cache\",\"emptyDir\":{\"sizeLimit\":\"1Gi\"}}]," \
    "\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\","              \
    "\"serviceAccountName\":\"default\",\"nodeSelector\":{\"kubernetes.io/os\":\"linux\"},"                          \
    "\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\","   \
    "\"tolerationSeconds\":300},{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\","                \
    "\"effect\":\"NoExecute\",\"tolerationSeconds\":300}]}}"

#endif
