/* status.c - Kubernetes Status objects for every error the API server answers, with upstream's messages. */
#include "api_int.h"
#include "kc_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *
api_status(int code, const char *reason, const char *message, const char *name, const char *group, const char *kind)
{
    json_t *st = json_object();
    json_object_set_new(st, "kind", json_string("Status"));
    json_object_set_new(st, "apiVersion", json_string("v1"));
    json_object_set_new(st, "metadata", json_object());
    json_object_set_new(st, "status", json_string(code < 400 ? "Success" : "Failure"));
    if (message)
        json_object_set_new(st, "message", json_string(message));
    if (reason && *reason)
        json_object_set_new(st, "reason", json_string(reason));
    if ((name && *name) || (group && *group) || (kind && *kind)) {
        json_t *d = json_object();
        if (name && *name)
            json_object_set_new(d, "name", json_string(name));
        if (group && *group)
            json_object_set_new(d, "group", json_string(group));
        if (kind && *kind)
            json_object_set_new(d, "kind", json_string(kind));
        json_object_set_new(st, "details", d);
    }
    json_object_set_new(st, "code", json_integer(code));
    return st;
}

void
api_reply_statusf(struct api_reply *rep, int code, const char *reason, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_decref(rep->body);
    rep->status = code;
    rep->body = api_status(code, reason, msg, NULL, NULL, NULL);
}

/* "pods" or "deployments.apps": how upstream names a resource in messages. */
static void
qualified_resource(const struct api_request *rq, char *buf, size_t len)
{
    const char *plural = rq->res ? rq->res->plural : rq->plural;
    const char *group = rq->res ? rq->res->group : rq->group;
    if (group && *group)
        snprintf(buf, len, "%s.%s", plural, group);
    else
        snprintf(buf, len, "%s", plural);
}

void
api_reply_error(struct api_reply *rep, const struct api_request *rq, int err)
{
    const char *reason;
    int code = kc_error_http(err, &reason);
    char res[160], msg[1024];
    const char *group = rq && rq->res ? rq->res->group : NULL;
    const char *plural = rq && rq->res ? rq->res->plural : NULL;
    const char *name = rq ? rq->name : NULL;

    qualified_resource(rq, res, sizeof(res));
    switch (err) {
    case KC_ENOTFOUND:
        snprintf(msg, sizeof(msg), "%s \"%s\" not found", res, name ? name : "");
        break;
    case KC_EEXIST:
        snprintf(msg, sizeof(msg), "%s \"%s\" already exists", res, name ? name : "");
        break;
    case KC_ECONFLICT:
        snprintf(msg, sizeof(msg),
                 "Operation cannot be fulfilled on %s \"%s\": the object has been modified; please apply your "
                 "changes to the latest version and try again",
                 res, name ? name : "");
        break;
    case KC_EUNAVAILABLE:
        snprintf(msg, sizeof(msg), "the storage backend is unavailable");
        break;
    default:
        snprintf(msg, sizeof(msg), "%s", kc_strerror(err));
        break;
    }
    json_decref(rep->body);
    rep->status = code;
    rep->body = api_status(code, reason, msg, name, group, plural);
}

void
api_reply_invalid(struct api_reply *rep, const struct api_request *rq, const char *name, struct api_errors *errs)
{
    char kind[160], msg[4096];
    size_t n = 0;
    const struct api_resource *r = rq->res;

    if (r->group[0])
        snprintf(kind, sizeof(kind), "%s.%s", r->kind, r->group);
    else
        snprintf(kind, sizeof(kind), "%s", r->kind);
    n = (size_t)snprintf(msg, sizeof(msg), "%s \"%s\" is invalid: ", kind, name ? name : "");
    if (errs->n > 1 && n < sizeof(msg))
        msg[n++] = '[';
    size_t i;
    json_t *c;
    json_array_foreach(errs->causes, i, c)
    {
        const char *field = json_string_value(json_object_get(c, "field"));
        const char *m = json_string_value(json_object_get(c, "message"));
        if (n < sizeof(msg))
            n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s%s%s", i ? ", " : "", field ? field : "",
                                  field && *field ? ": " : "", m ? m : "");
    }
    if (errs->n > 1 && n + 1 < sizeof(msg)) {
        msg[n++] = ']';
        msg[n] = '\0';
    }
    json_t *st = api_status(422, "Invalid", msg, name, r->group, r->kind);
    json_object_set(json_object_get(st, "details"), "causes", errs->causes ? errs->causes : json_array());
    api_errors_free(errs);
    json_decref(rep->body);
    rep->status = 422;
    rep->body = st;
}

void
api_reply_warn(struct api_reply *rep, const char *text)
{
    if (rep->nwarnings == (int)(sizeof(rep->warnings) / sizeof(rep->warnings[0])))
        return;
    size_t len = strlen(text);
    char *w = malloc(len * 2 + 16);
    if (!w)
        return;
    /* 299 - "text", with quotes and backslashes escaped as in an HTTP quoted-string */
    size_t k = 0;
    k += (size_t)sprintf(w, "299 - \"");
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"' || text[i] == '\\')
            w[k++] = '\\';
        w[k++] = text[i];
    }
    w[k++] = '"';
    w[k] = '\0';
    rep->warnings[rep->nwarnings++] = w;
}
