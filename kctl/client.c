/* client.c - kctl's REST client: the kubeconfig resolved as kubectl resolves it, one kc_https connection (HTTP/1.1
 * on OpenSSL, no libcurl: see docs/kctl.md, "Start-up cost") opened at the first request and kept alive, and every
 * failure printed in kubectl's (client-go's) wording. */
#include "kctl.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_https.h"
#include "kc_json.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define REQUEST_TIMEOUT_MS 32000 /* kubectl sends timeout=32s on its requests */

struct kctl_client {
    struct kctl_config *cfg;
    struct kc_kubeconfig_client kc; /* the resolved context */
    struct kc_https *http;          /* opened at the first request */
    struct kctl_discovery *disc;    /* resolve.c's cache; freed with the client */
    /* KCTL_TIMING=1 in the environment: where the time goes, on stderr (docs/kctl.md, "Start-up cost"). */
    bool timing;
    double t_new, cpu_new; /* at kctl_client_new: monotonic ms, and the process's CPU ms so far (exec included) */
    double t_config;       /* kubeconfig read and resolved */
    double tls_ms;         /* kc_https_new's time (TLS context, CA, client certificate), 0 before */
};

static double
clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* With KCTL_TIMING: one request's phases, from kc_https's clock (ms from the request's start). */
static void
trace_request(struct kctl_client *c, const char *method, const char *path)
{
    if (!c->timing)
        return;
    const struct kc_https_timing *t = kc_https_timing(c->http);
    fprintf(c->cfg->err,
            "kctl timing: %s %s: connect %.2f, tls %.2f, sent %.2f, headers %.2f, done %.2f ms (at %.2f ms)\n", method,
            path, t->connected_us / 1e3, t->tls_us / 1e3, t->sent_us / 1e3, t->headers_us / 1e3, t->done_us / 1e3,
            clock_ms(CLOCK_MONOTONIC) - c->t_new);
}

/* The localhost fallback kubectl uses when nothing at all is configured. */
static bool
nothing_configured(const char *msg)
{
    return strstr(msg, "no configuration has been provided") != NULL;
}

/* --request-timeout: a number of seconds or a Go duration of s/m/h units ("1m30s"). Returns ms or -1. */
static long
parse_timeout(const char *s)
{
    char *end;
    long total = 0;
    if (!*s)
        return -1;
    double v = strtod(s, &end);
    if (*end == '\0')
        return v < 0 ? -1 : (long)(v * 1000);
    const char *p = s;
    while (*p) {
        v = strtod(p, &end);
        if (end == p || v < 0)
            return -1;
        double unit;
        if (strncmp(end, "ms", 2) == 0)
            unit = 1, end += 2;
        else if (*end == 's')
            unit = 1000, end++;
        else if (*end == 'm')
            unit = 60000, end++;
        else if (*end == 'h')
            unit = 3600000, end++;
        else
            return -1;
        total += (long)(v * unit);
        p = end;
    }
    return total;
}

int
kctl_client_new(struct kctl_config *cfg, struct kctl_client **out)
{
    struct kc_kubeconfig *kcfg;
    char err[1024];
    double t_new = clock_ms(CLOCK_MONOTONIC), cpu_new = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
    cfg->request_timeout_ms = REQUEST_TIMEOUT_MS;
    if (cfg->request_timeout) {
        cfg->request_timeout_ms = parse_timeout(cfg->request_timeout);
        if (cfg->request_timeout_ms < 0) {
            fprintf(cfg->err,
                    "error: invalid timeout value. Timeout must be a single integer in seconds, or an integer followed "
                    "by a corresponding time unit (e.g. 1s | 2m | 3h)\n");
            return 1;
        }
    }
    if (kctl_load_config(cfg, &kcfg) != 0)
        return 1;
    struct kctl_client *c = kc_calloc(1, sizeof(*c));
    if (!c) {
        kc_kubeconfig_free(kcfg);
        fprintf(cfg->err, "error: out of memory\n");
        return 1;
    }
    c->cfg = cfg;
    const char *tv = getenv("KCTL_TIMING");
    c->timing = tv && *tv && strcmp(tv, "0") != 0;
    c->t_new = t_new;
    c->cpu_new = cpu_new;
    int rc = kc_kubeconfig_resolve(kcfg, &cfg->ov, &c->kc, err, sizeof(err));
    if (rc == KC_EINVALID && !cfg->ov.server && nothing_configured(err)) {
        struct kc_kubeconfig_overrides ov = cfg->ov;
        ov.server = "http://localhost:8080";
        rc = kc_kubeconfig_resolve(kcfg, &ov, &c->kc, err, sizeof(err));
    }
    kc_kubeconfig_free(kcfg);
    if (rc != 0) {
        fprintf(cfg->err, "error: %s\n", err);
        free(c);
        return 1;
    }
    c->t_config = clock_ms(CLOCK_MONOTONIC);
    *out = c;
    return 0;
}

void
kctl_client_free(struct kctl_client *c)
{
    if (!c)
        return;
    if (c->timing)
        fprintf(c->cfg->err,
                "kctl timing: CPU used when the client starts %.2f ms (exec, loader, flags); kubeconfig %.2f ms; TLS "
                "setup %.2f ms; client total %.2f ms; CPU total %.2f ms\n",
                c->cpu_new, c->t_config - c->t_new, c->tls_ms, clock_ms(CLOCK_MONOTONIC) - c->t_new,
                clock_ms(CLOCK_PROCESS_CPUTIME_ID));
    kctl_discovery_free(c->disc);
    kc_https_free(c->http);
    kc_kubeconfig_client_close(&c->kc);
    free(c);
}

const char *
kctl_client_namespace(const struct kctl_client *c)
{
    return c->kc.namespace;
}

const char *
kctl_client_server(const struct kctl_client *c)
{
    return c->kc.server;
}

struct kctl_config *
kctl_client_config(const struct kctl_client *c)
{
    return c->cfg;
}

const struct kc_kubeconfig_client *
kctl_client_credentials(const struct kctl_client *c)
{
    return &c->kc;
}

struct kctl_discovery **
kctl_client_discovery(struct kctl_client *c)
{
    return &c->disc;
}

/* The host:port of the server URL, as Go's url.Parse gives it for kubectl's "connection refused" message. */
static void
server_host(const char *server, char *buf, size_t len)
{
    const char *p = strstr(server, "://");
    p = p ? p + 3 : server;
    size_t n = strcspn(p, "/?#");
    snprintf(buf, len, "%.*s", (int)n, p);
}

/* Prints a transport failure as kubectl prints Go's url.Error. */
static void
print_transport_error(struct kctl_client *c, int rc, const char *detail)
{
    char host[256];
    server_host(c->kc.server, host, sizeof(host));
    FILE *e = c->cfg->err;
    if (rc == -ECONNREFUSED) {
        fprintf(e, "The connection to the server %s was refused - did you specify the right host or port?\n", host);
        return;
    }
    /* kubectl names the cause as Go does; for the causes not mapped here kc_https's own message follows. */
    const char *what = NULL, *go = strstr(detail, "; x509: "); /* kc_https's Go text of a failed check */
    if (rc == -EPROTO && strstr(detail, "verification failed") && go) {
        fprintf(e, "Unable to connect to the server: tls: failed to verify certificate: %s\n", go + 2);
        return;
    }
    if (rc == -EPROTO && strstr(detail, "verification failed"))
        what = strstr(detail, "issuer") || strstr(detail, "self-signed") || strstr(detail, "self signed")
                   ? "tls: failed to verify certificate: x509: certificate signed by unknown authority"
                   : "tls: failed to verify certificate";
    else if (rc == -EPROTO && strstr(detail, "server gave HTTP response to HTTPS client"))
        what = "http: server gave HTTP response to HTTPS client";
    else if (rc == -EPROTO && strstr(detail, "first record does not look like a TLS handshake"))
        what = "tls: first record does not look like a TLS handshake";
    else if (rc == KC_ETIMEOUT)
        what = "net/http: request canceled (Client.Timeout exceeded while awaiting headers)";
    else if (rc == KC_EUNAVAILABLE && strstr(detail, "could not resolve host"))
        what = "dial tcp: lookup failed: no such host";
    if (what)
        fprintf(e, "Unable to connect to the server: %s\n", what);
    else
        fprintf(e, "Unable to connect to the server: %s\n", detail && *detail ? detail : kc_strerror(rc));
}

/* Opens the HTTP client at the first request. Returns 0 or prints the error and returns 1. */
static int
connect_http(struct kctl_client *c)
{
    if (c->http)
        return 0;
    struct kc_https_config hc = {
        .server = c->kc.server,
        .ca_pem = c->kc.ca_pem,
        .cert_pem = c->kc.cert_pem,
        .key_pem = c->kc.key_pem,
        .token = c->kc.token,
        .username = c->kc.username,
        .password = c->kc.password,
        .tls_server_name = c->kc.tls_server_name,
        .insecure = c->kc.insecure,
        .timeout_ms = c->cfg->request_timeout_ms, /* 0: none */
        .user_agent = "kctl/v1.33.0 (linux/amd64) k8c",
    };
    char err[512];
    double t = clock_ms(CLOCK_MONOTONIC);
    if (kc_https_new(&hc, &c->http, err, sizeof(err)) != 0) {
        fprintf(c->cfg->err, "error: %s\n", err);
        return 1;
    }
    c->tls_ms = clock_ms(CLOCK_MONOTONIC) - t;
    return 0;
}

/* "get pods x" for messages about answers that carry no Status: the verb and the path's resource and name as
 * client-go appends them ("(get pods x)", "(get deployments.apps)"). */
static char *
describe_request(const char *method, const char *path)
{
    char buf[1024], group[128] = "", res[128] = "", name[256] = "";
    const char *p = path;
    size_t qn = strcspn(p, "?");
    char copy[1024];
    snprintf(copy, sizeof(copy), "%.*s", (int)(qn < sizeof(copy) ? qn : sizeof(copy) - 1), p);
    char *segs[16];
    int n = 0;
    for (char *save = NULL, *t = strtok_r(copy, "/", &save); t && n < 16; t = strtok_r(NULL, "/", &save))
        segs[n++] = t;
    int i;
    if (n >= 2 && strcmp(segs[0], "api") == 0) {
        i = 2;
    } else if (n >= 3 && strcmp(segs[0], "apis") == 0) {
        snprintf(group, sizeof(group), "%s", segs[1]);
        i = 3;
    } else {
        return NULL;
    }
    if (i + 2 < n && strcmp(segs[i], "namespaces") == 0)
        i += 2;
    if (i >= n)
        return NULL;
    snprintf(res, sizeof(res), "%s", segs[i]);
    if (i + 1 < n)
        snprintf(name, sizeof(name), "%s", segs[i + 1]);
    char lower[16];
    size_t k = 0;
    for (; method[k] && k < sizeof(lower) - 1; k++)
        lower[k] = (char)tolower((unsigned char)method[k]);
    lower[k] = '\0';
    if (strcmp(lower, "post") == 0)
        snprintf(lower, sizeof(lower), "post");
    snprintf(buf, sizeof(buf), "%s %s%s%s%s%s", lower, res, group[0] ? "." : "", group, name[0] ? " " : "", name);
    return kc_strdup(buf);
}

int
kctl_request(struct kctl_client *c, const char *method, const char *path, const char *ctype, const char *body,
             size_t len, const char *accept, struct kctl_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    if (connect_http(c) != 0)
        return 1;
    struct kc_https_request req = {
        .method = method,
        .path = path,
        .body = body,
        .body_len = len,
        .content_type = body ? (ctype ? ctype : "application/json") : ctype,
        .accept = accept ? accept : "application/json",
    };
    struct kc_https_response hr;
    int rc = kc_https_do(c->http, &req, &hr);
    trace_request(c, method ? method : "GET", path);
    if (rc != 0) {
        print_transport_error(c, rc, kc_https_errmsg(c->http));
        kc_https_response_close(&hr);
        return 1;
    }
    resp->status = hr.status;
    resp->body = hr.body;
    resp->len = hr.body_len;
    resp->content_type = hr.content_type;
    resp->warnings = hr.warnings;
    resp->nwarnings = hr.nwarnings;
    resp->what = describe_request(method ? method : "GET", path);
    return 0;
}

void
kctl_response_free(struct kctl_response *resp)
{
    if (!resp)
        return;
    free(resp->body);
    free(resp->content_type);
    for (size_t i = 0; i < resp->nwarnings; i++)
        free(resp->warnings[i]);
    free(resp->warnings);
    free(resp->what);
    memset(resp, 0, sizeof(*resp));
}

int
kctl_request_json(struct kctl_client *c, const char *method, const char *path, const char *ctype, const json_t *body,
                  json_t **out)
{
    char *text = NULL;
    if (out)
        *out = NULL;
    if (body && !(text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY))) {
        fprintf(c->cfg->err, "error: out of memory\n");
        return 1;
    }
    struct kctl_response resp;
    int rc = kctl_request(c, method, path, ctype, text, text ? strlen(text) : 0, NULL, &resp);
    free(text);
    if (rc != 0)
        return 1;
    if (resp.status < 200 || resp.status > 299) {
        kctl_print_error(c->cfg, &resp);
        kctl_response_free(&resp);
        return 1;
    }
    kctl_print_warnings(c->cfg, &resp);
    if (out && resp.body) {
        char perr[160];
        if (kc_json_parse(resp.body, resp.len, out, perr, sizeof(perr)) != 0) {
            fprintf(c->cfg->err, "error: the server's answer to %s %s is not JSON: %s\n", method ? method : "GET", path,
                    perr);
            kctl_response_free(&resp);
            return 1;
        }
    }
    kctl_response_free(&resp);
    return 0;
}

/* kctl_stream's state: the caller's line function and whether it asked to stop. */
struct stream_arg {
    int (*fn)(void *arg, const char *line, size_t len);
    void *arg;
};

static int
stream_line(void *arg, char *line, size_t len)
{
    struct stream_arg *sa = arg;
    return sa->fn(sa->arg, line, len) ? 1 : 0;
}

int
kctl_stream_ex(struct kctl_client *c, const char *path, const char *accept, unsigned flags,
               int (*fn)(void *arg, const char *line, size_t len), void *arg)
{
    if (connect_http(c) != 0)
        return 1;
    struct kc_https_request req = {
        .method = "GET",
        .path = path,
        .accept = accept ? accept : "application/json",
        .timeout_ms = -1,
    };
    struct stream_arg sa = { fn, arg };
    struct kc_https_response hr;
    int rc = kc_https_stream(c->http, &req, stream_line, &sa, &hr);
    trace_request(c, "GET", path);
    int ret = 0;
    if (rc != 0) {
        if ((flags & KCTL_STREAM_QUIET_DROP) && hr.status >= 200 && hr.status < 300 && rc == KC_EUNAVAILABLE) {
            ret = 2;
        } else if ((flags & KCTL_STREAM_QUIET_DROP) && hr.status == 0 &&
                   (rc == -ECONNREFUSED || rc == KC_EUNAVAILABLE)) {
            ret = 2; /* the server is away for now: the caller retries */
        } else {
            print_transport_error(c, rc, kc_https_errmsg(c->http));
            ret = 1;
        }
    } else if (hr.status < 200 || hr.status > 299) {
        struct kctl_response resp = {
            .status = hr.status,
            .body = hr.body,
            .len = hr.body_len,
            .content_type = hr.content_type,
            .warnings = hr.warnings,
            .nwarnings = hr.nwarnings,
            .what = describe_request("GET", path),
        };
        kctl_print_error(c->cfg, &resp);
        free(resp.what);
        ret = 1;
    } else {
        struct kctl_response resp = { .warnings = hr.warnings, .nwarnings = hr.nwarnings };
        kctl_print_warnings(c->cfg, &resp);
    }
    kc_https_response_close(&hr);
    return ret;
}

int
kctl_stream(struct kctl_client *c, const char *path, const char *accept,
            int (*fn)(void *arg, const char *line, size_t len), void *arg)
{
    return kctl_stream_ex(c, path, accept, 0, fn, arg);
}

/* --- errors ---------------------------------------------------------------------------------------------- */

/* client-go's NewGenericServerResponse: what an answer without a Status means, by code. */
static void
generic_status(long code, const char **reason, const char **message)
{
    switch (code) {
    case 400:
        *reason = "BadRequest", *message = "the server rejected our request for an unknown reason";
        break;
    case 401:
        *reason = "Unauthorized", *message = "the server has asked for the client to provide credentials";
        break;
    case 403:
        *reason = "Forbidden", *message = "the server does not allow access to the requested resource";
        break;
    case 404:
        *reason = "NotFound", *message = "the server could not find the requested resource";
        break;
    case 405:
        *reason = "MethodNotAllowed", *message = "the server does not allow this method on the requested resource";
        break;
    case 406:
        *reason = "NotAcceptable",
        *message = "the server was unable to respond with a content type that the client supports";
        break;
    case 409:
        *reason = "Conflict", *message = "the server reported a conflict";
        break;
    case 410:
        *reason = "Gone", *message = "the server no longer has the requested resource";
        break;
    case 413:
        *reason = "RequestEntityTooLarge", *message = "the server has rejected the request because it is too large";
        break;
    case 415:
        *reason = "UnsupportedMediaType",
        *message = "the server was unable to respond with a content type that the client supports";
        break;
    case 422:
        *reason = "Invalid", *message = "the server rejected our request due to an error in our request";
        break;
    case 429:
        *reason = "TooManyRequests",
        *message = "the server has received too many requests and has asked us to try again later";
        break;
    case 503:
        *reason = "ServiceUnavailable", *message = "the server is currently unable to handle the request";
        break;
    case 504:
        *reason = "Timeout", *message = "the server was unable to return a response in the time allotted, but may "
                                        "still be processing the request";
        break;
    default:
        if (code >= 500)
            *reason = "InternalError", *message = NULL; /* "an error on the server (...)" */
        else
            *reason = "Unknown", *message = NULL; /* "the server responded with the status code ..." */
        break;
    }
}

/* True when a Content-Type is text/plain (client-go shows the body of such answers). */
static bool
is_text(const char *ct)
{
    return ct && strncasecmp(ct, "text/plain", 10) == 0;
}

/* kubectl's 422 text: `The Kind "name" is invalid: field: message`, one cause per line when several. */
static void
print_invalid(FILE *e, const json_t *status)
{
    const json_t *details = json_object_get(status, "details");
    const char *kind = json_string_value(json_object_get(details, "kind"));
    const char *name = json_string_value(json_object_get(details, "name"));
    const json_t *causes = json_object_get(details, "causes");
    char prefix[512];
    if (!details) {
        fprintf(e, "The request is invalid\n");
        return;
    }
    if ((kind && *kind) || (name && *name))
        snprintf(prefix, sizeof(prefix), "The %s \"%s\" is invalid", kind ? kind : "", name ? name : "");
    else
        snprintf(prefix, sizeof(prefix), "The request is invalid");
    size_t n = json_array_size(causes);
    if (n == 0) {
        fprintf(e, "%s\n", prefix);
        return;
    }
    /* Duplicates are dropped, as statusCausesToAggrError does. */
    char **msgs = kc_calloc(n, sizeof(*msgs));
    size_t k = 0;
    for (size_t i = 0; msgs && i < n; i++) {
        const json_t *cause = json_array_get(causes, i);
        const char *field = json_string_value(json_object_get(cause, "field"));
        const char *msg = json_string_value(json_object_get(cause, "message"));
        char *m;
        if (asprintf(&m, "%s: %s", field ? field : "", msg ? msg : "") < 0)
            continue;
        bool dup = false;
        for (size_t j = 0; j < k && !dup; j++)
            dup = strcmp(msgs[j], m) == 0;
        if (dup)
            free(m);
        else
            msgs[k++] = m;
    }
    if (k == 1) {
        fprintf(e, "%s: %s\n", prefix, msgs[0]);
    } else {
        fprintf(e, "%s: \n", prefix);
        for (size_t j = 0; j < k; j++)
            fprintf(e, "* %s\n", msgs[j]);
    }
    for (size_t j = 0; j < k; j++)
        free(msgs[j]);
    free(msgs);
}

void
kctl_print_error(struct kctl_config *cfg, const struct kctl_response *resp)
{
    FILE *e = cfg->err;
    kctl_print_warnings(cfg, resp);
    json_t *st = NULL;
    if (resp->body && !is_text(resp->content_type))
        st = json_loadb(resp->body, resp->len, 0, NULL);
    const char *kind = json_string_value(json_object_get(st, "kind"));
    if (st && kind && strcmp(kind, "Status") == 0) {
        const char *reason = json_string_value(json_object_get(st, "reason"));
        const char *message = json_string_value(json_object_get(st, "message"));
        if (reason && strcmp(reason, "Invalid") == 0)
            print_invalid(e, st);
        else if (reason && strcmp(reason, "Unauthorized") == 0)
            fprintf(e, "error: You must be logged in to the server (%s)\n", message ? message : "");
        else if (reason && *reason)
            fprintf(e, "Error from server (%s): %s\n", reason, message ? message : "");
        else
            fprintf(e, "Error from server: %s\n", message ? message : "");
        json_decref(st);
        return;
    }
    json_decref(st);
    /* No Status: client-go's generic error for the code, with the request in parentheses. */
    const char *reason, *message;
    char buf[1024], body[600] = "unknown";
    if (is_text(resp->content_type) && resp->body) {
        const char *b = resp->body;
        size_t n = resp->len;
        while (n > 0 && isspace((unsigned char)*b))
            b++, n--;
        while (n > 0 && isspace((unsigned char)b[n - 1]))
            n--;
        snprintf(body, sizeof(body), "%.*s", (int)(n < 500 ? n : 500), b);
    }
    generic_status(resp->status, &reason, &message);
    if (!message && resp->status >= 500) {
        snprintf(buf, sizeof(buf), "an error on the server (\"%s\") has prevented the request from succeeding", body);
        message = buf;
    } else if (!message) {
        snprintf(buf, sizeof(buf), "the server responded with the status code %ld but did not return more information",
                 resp->status);
        message = buf;
    }
    if (strcmp(reason, "Unauthorized") == 0)
        fprintf(e, "error: You must be logged in to the server (%s%s%s%s)\n", message, resp->what ? " (" : "",
                resp->what ? resp->what : "", resp->what ? ")" : "");
    else
        fprintf(e, "Error from server (%s): %s%s%s%s\n", reason, message, resp->what ? " (" : "",
                resp->what ? resp->what : "", resp->what ? ")" : "");
}

void
kctl_print_warnings(struct kctl_config *cfg, const struct kctl_response *resp)
{
    for (size_t i = 0; i < resp->nwarnings; i++) {
        char *t = kc_https_warning_text(resp->warnings[i]);
        fprintf(cfg->err, "Warning: %s\n", t ? t : resp->warnings[i]);
        free(t);
    }
}
