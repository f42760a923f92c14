/* api_exec.h - pods/exec and pods/attach (exec.c): the WebSocket upgrade, proxied to the kubelet of the pod's
 * node, and the kubelet client credentials the API server presents. */
#ifndef API_EXEC_H
#define API_EXEC_H

#include <stddef.h>

struct api_request;
struct api_reply;

/* Serves a pods/exec or pods/attach request (rq->sub "exec" or "attach"); called by api_rest_handle on a worker
 * thread. Upstream's model: the pod (404 when missing), its container (the container parameter, else the
 * kubectl.kubernetes.io/default-container annotation, else the only container; 400 with upstream's messages when
 * unknown or ambiguous), its node (400 "pod x does not have a host assigned"; 404 when the Node is missing), the
 * node's address (status.addresses: Hostname, InternalDNS, InternalIP, ExternalDNS, ExternalIP) and kubelet port
 * (status.daemonEndpoints.kubeletEndpoint.Port, default 10250). The API server then dials the kubelet (HTTPS with
 * the kubelet client certificate; plain HTTP to 127.0.0.1 with --kubelet-insecure-loopback), upgrades to a
 * WebSocket at /exec|attach/<ns>/<pod>/<container>?command=…&error=1&input=1&output=1&tty=1 offering the client's
 * subprotocols, answers the client 101 with the kubelet's choice, and relays messages both ways with bounded
 * queues. Errors before the upgrade are Status replies: 500 "error dialing backend: …" when the kubelet cannot be
 * reached, the kubelet's own answer when it refuses the upgrade. A request that is no WebSocket handshake (kubectl's
 * SPDY fallback) goes through the same checks and TCP dial, then gets the failure of a WebSocket attempt by the same
 * user for the same request in the last 10 s, else 400 "Upgrade request required…". When the kubelet's stream ends
 * without a status message, the client gets a 500 InternalError status on the status channel. The request is
 * answered from the loop (through kc_httpd_defer_take: api_rest_handle must run inside a kc_httpd_defer work
 * function, else 500), not through rep; rep->status is set to 101 for the request metrics only. */
void api_exec_handle(struct api_request *rq, struct api_reply *rep);

/* The default kubelet client certificate of a bootstrapped PKI: <pki_dir>/apiserver-kubelet-client.{crt,key}
 * (CN kube-apiserver-kubelet-client, O system:masters, client usage, signed by <pki_dir>/ca), issued when missing.
 * Writes the two paths into crt and key. Returns 0, or an error with err filled. */
int api_exec_kubelet_client_pki(const char *pki_dir, char *crt, size_t crtlen, char *key, size_t keylen, char *err,
                                size_t errlen);

#endif
