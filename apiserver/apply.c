/* apply.c - server-side apply (PATCH application/apply-patch+yaml), the managedFields every write records, and
 * field validation (fieldValidation=Strict|Warn|Ignore) with the pruning of unknown fields, as kube-apiserver 1.33
 * does them. rest.c calls in at each verb; the pure parts are common/ kc_managed.h, kc_typed.h, kc_strict.h. */
#include "api_int.h"
#include "api_validate.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_fieldset.h"
#include "kc_jarena.h"
#include "kc_json.h"
#include "kc_k8sproto.h"
#include "kc_log.h"
#include "kc_managed.h"
#include "kc_schema.h"
#include "kc_strict.h"
#include "kc_time.h"
#include "kc_typed.h"
#include "kc_yaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FIELD_MANAGER_MAX 128 /* upstream's FieldManagerMaxLength */

/* --- options --- */

enum api_field_validation
api_field_validation(const struct api_request *rq)
{
    const char *v = rq->field_validation;
    if (v && strcmp(v, "Strict") == 0)
        return API_FV_STRICT;
    if (v && strcmp(v, "Ignore") == 0)
        return API_FV_IGNORE;
    return API_FV_WARN;
}

/* unicode.IsPrint for the bytes of s: ASCII controls and DEL are not printable (multi-byte characters are taken as
 * printable, which all but a few format characters are). The byte index of the first one, or -1. */
static long
first_unprintable(const char *s, unsigned *cp)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            *cp = *p;
            return (long)(p - (const unsigned char *)s);
        }
    return -1;
}

const char *
api_field_manager(const struct api_request *rq, char *buf, size_t len)
{
    if (rq->field_manager && *rq->field_manager)
        return rq->field_manager;
    /* prefixFromUserAgent: the text before the first '/', printable characters only, at most 128 bytes */
    size_t n = 0;
    for (const char *p = rq->user_agent ? rq->user_agent : ""; *p && *p != '/' && n + 1 < len; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f)
            continue;
        if (n >= FIELD_MANAGER_MAX)
            break;
        buf[n++] = *p;
    }
    buf[n] = '\0';
    return buf;
}

/* upstream's strconv.ParseBool. */
static int
parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
    static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
    for (size_t i = 0; i < 6; i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

void
api_reply_options_invalid(struct api_reply *rep, const char *kind, struct api_errors *errs)
{
    char qualified[96];
    snprintf(qualified, sizeof(qualified), "%s.meta.k8s.io", kind);
    struct api_sb msg = { 0 };
    api_sb_printf(&msg, "%s \"\" is invalid: %s", qualified, errs->n > 1 ? "[" : "");
    size_t i;
    json_t *c;
    json_array_foreach(errs->causes, i, c)
    {
        api_sb_printf(&msg, "%s%s: %s", i ? ", " : "", json_string_value(json_object_get(c, "field")) ?: "",
                      json_string_value(json_object_get(c, "message")) ?: "");
    }
    if (errs->n > 1)
        api_sb_puts(&msg, "]");
    json_t *st = api_status(422, "Invalid", api_sb_str(&msg), NULL, "meta.k8s.io", kind);
    json_object_set(json_object_get(st, "details"), "causes", errs->causes ? errs->causes : json_array());
    api_sb_free(&msg);
    api_errors_free(errs);
    json_decref(rep->body);
    rep->status = 422;
    rep->body = st;
}

int
api_check_options(struct api_request *rq, struct api_reply *rep, const char *kind, bool apply)
{
    struct api_errors errs = { 0 };
    bool patch = strcmp(kind, "PatchOptions") == 0;
    if (rq->force) {
        bool f;
        if (parse_bool(rq->force, &f) != 0) {
            api_reply_statusf(rep, 400, "BadRequest", "strconv.ParseBool: parsing \"%s\": invalid syntax", rq->force);
            return -1;
        }
    }
    if (patch && !apply && rq->force)
        api_err_forbidden(&errs, "force", "may not be specified for non-apply patch");
    if (apply && !(rq->field_manager && *rq->field_manager))
        api_err_required(&errs, "fieldManager", "is required for apply patch");
    const char *fm = rq->field_manager ? rq->field_manager : "";
    if (strlen(fm) > FIELD_MANAGER_MAX)
        api_err_too_long(&errs, "fieldManager", FIELD_MANAGER_MAX);
    unsigned cp;
    long at = first_unprintable(fm, &cp);
    if (at >= 0) {
        char detail[96];
        snprintf(detail, sizeof(detail), "invalid character U+%04X (at position %ld)", cp, at);
        api_err_invalid_str(&errs, "fieldManager", fm, detail);
    }
    /* ValidateDryRun comes between the fieldManager and fieldValidation checks */
    api_check_dry_run(&errs, rq->dry_run);
    const char *fv = rq->field_validation ? rq->field_validation : "";
    if (*fv && strcmp(fv, "Ignore") != 0 && strcmp(fv, "Warn") != 0 && strcmp(fv, "Strict") != 0) {
        static const char *const valid[] = { "", "Ignore", "Strict", "Warn", NULL };
        api_err_not_supported(&errs, "fieldValidation", fv, valid);
    }
    if (errs.n) {
        api_reply_options_invalid(rep, kind, &errs);
        return -1;
    }
    return 0;
}

void
api_check_dry_run(struct api_errors *errs, const char *value)
{
    if (!value || strcmp(value, "All") == 0)
        return;
    static const char *const valid[] = { "All", NULL };
    struct api_sb v = { 0 };
    api_sb_puts(&v, "[]string{");
    api_go_quote(&v, value);
    api_sb_puts(&v, "}");
    api_err_not_supported_raw(errs, "dryRun", api_sb_str(&v), valid);
    api_sb_free(&v);
}

/* --- field validation --- */

static const struct kc_schema *
schema_of(const struct api_request *rq)
{
    return rq->res ? kc_schema_find(rq->res->schema) : NULL;
}

static void
warn_all(struct api_reply *rep, const json_t *errs)
{
    size_t i;
    json_t *e;
    json_array_foreach(errs, i, e) api_reply_warn(rep, json_string_value(e));
}

/* A Status whose message may be longer than api_reply_statusf's buffer. */
static void
reply_message(struct api_reply *rep, int code, const char *reason, const char *message)
{
    json_decref(rep->body);
    rep->status = code;
    rep->body = api_status(code, reason, message, NULL, NULL, NULL);
}

static bool
is_yaml_body(const struct api_request *rq)
{
    const char *ct = rq->content_type ? rq->content_type : "";
    return strcspn(ct, "; \t") == 16 && strncasecmp(ct, "application/yaml", 16) == 0;
}

/* transformDecodeError: 400 "<Kind> in version \"<v>\" cannot be handled as a <Kind>: <error>" */
static void
decode_error(const struct api_request *rq, struct api_reply *rep, const json_t *obj, const char *text)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *av = json_string_value(json_object_get(obj, "apiVersion"));
    const char *ver = av && strchr(av, '/') ? strchr(av, '/') + 1 : av;
    struct api_sb msg = { 0 };
    api_sb_printf(&msg, "%s in version \"%s\" cannot be handled as a %s: %s", kind && *kind ? kind : rq->res->kind,
                  ver && *ver ? ver : rq->res->version, rq->res->kind, text);
    reply_message(rep, 400, "BadRequest", api_sb_str(&msg));
    api_sb_free(&msg);
}

int
api_strict_body(struct api_request *rq, struct api_reply *rep, json_t *obj)
{
    const struct kc_schema *sc = schema_of(rq);
    enum api_field_validation fv = api_field_validation(rq);
    json_t *errs = NULL;
    char *terr = NULL;
    bool unknown = true;
    int trc = kc_strict_types(obj, sc, &unknown, &terr);
    if (trc != 0) { /* Go's decoder fails on a value of the wrong type, whatever fieldValidation says */
        if (trc == KC_EINVALID)
            decode_error(rq, rep, obj, terr);
        else
            api_reply_statusf(rep, 500, "InternalError", "out of memory");
        free(terr);
        return -1;
    }
    if (!unknown && rq->body_unique_keys)
        return 0; /* the common case: nothing to report, nothing to prune, the body need not be scanned */
    if (fv != API_FV_IGNORE && sc && !kc_k8sproto_is_media_type(rq->content_type ? rq->content_type : "")) {
        if (is_yaml_body(rq)) {
            /* the YAML decoder already refused duplicate keys; unknown fields as the JSON it made lists them */
            errs = json_array();
            if (errs && kc_strict_unknown(obj, sc, errs) != 0) {
                json_decref(errs);
                errs = NULL;
            }
        } else if (kc_strict_scan(rq->body, rq->body_len, sc, KC_STRICT_UNKNOWN | KC_STRICT_DUPLICATES, NULL, &errs) !=
                   0) {
            errs = NULL;
        }
    }
    if (json_array_size(errs) > 0) {
        if (fv == API_FV_STRICT) {
            char *text = kc_strict_error_text(errs);
            decode_error(rq, rep, obj, text ? text : "strict decoding error");
            free(text);
            json_decref(errs);
            return -1;
        }
        warn_all(rep, errs);
    }
    json_decref(errs);
    kc_strict_prune(obj, sc);
    return 0;
}

json_t *
api_strict_patch_scan(const struct api_request *rq, enum api_patch_kind kind)
{
    if (api_field_validation(rq) == API_FV_IGNORE || !rq->body)
        return NULL;
    json_t *errs = NULL;
    int rc = kind == API_PATCH_JSON ? kc_strict_scan(rq->body, rq->body_len, kc_strict_json_patch_schema(),
                                                     KC_STRICT_UNKNOWN | KC_STRICT_DUPLICATES, "json patch ", &errs)
                                    : kc_strict_scan(rq->body, rq->body_len, NULL, KC_STRICT_DUPLICATES, NULL, &errs);
    return rc == 0 ? errs : NULL;
}

/* The 422 upstream's patchers answer when the patched object does not decode: NewInvalid(schema.GroupKind{}, "",
 * [field.Invalid("patch", <value>, <error>)]), the value being the patched JSON (JSON and merge patches) or Go's
 * %+v of the patch map (strategic merge patches). */
static void
reply_patch_invalid(struct api_reply *rep, const json_t *doc, const json_t *patch, enum api_patch_kind kind,
                    const char *text)
{
    char *value = kind == API_PATCH_STRATEGIC ? kc_strict_go_value(patch) : kc_jarena_dumps(doc, JSON_COMPACT);
    struct api_errors e = { 0 };
    api_err_invalid_str(&e, "patch", value ? value : "", text);
    const char *m = json_string_value(json_object_get(json_array_get(e.causes, 0), "message"));
    struct api_sb msg = { 0 };
    api_sb_printf(&msg, " \"\" is invalid: patch: %s", m ? m : "");
    json_t *st = api_status(422, "Invalid", api_sb_str(&msg), NULL, NULL, NULL);
    json_object_set_new(st, "details", json_pack("{s:O}", "causes", e.causes ? e.causes : json_array()));
    json_decref(rep->body);
    rep->status = 422;
    rep->body = st;
    api_sb_free(&msg);
    api_errors_free(&e);
    free(value);
}

int
api_strict_patch_result(struct api_request *rq, struct api_reply *rep, json_t *errs, json_t *doc, const json_t *patch,
                        enum api_patch_kind kind)
{
    const struct kc_schema *sc = schema_of(rq);
    enum api_field_validation fv = api_field_validation(rq);
    char *terr = NULL;
    int trc = kc_strict_types(doc, sc, NULL, &terr);
    if (trc != 0) { /* a value of the wrong type: the decode fails, whatever fieldValidation says */
        if (trc == KC_EINVALID)
            reply_patch_invalid(rep, doc, patch, kind, terr);
        else
            api_reply_statusf(rep, 500, "InternalError", "out of memory");
        free(terr);
        json_decref(errs);
        return -1;
    }
    if (fv != API_FV_IGNORE && sc) {
        if (!errs)
            errs = json_array();
        if (errs)
            kc_strict_unknown(doc, sc, errs);
    }
    if (json_array_size(errs) > 0) {
        if (fv == API_FV_STRICT) {
            char *text = kc_strict_error_text(errs);
            reply_patch_invalid(rep, doc, patch, kind, text ? text : "strict decoding error");
            free(text);
            json_decref(errs);
            return -1;
        }
        warn_all(rep, errs);
    }
    json_decref(errs);
    kc_strict_prune(doc, sc);
    return 0;
}

/* --- managedFields --- */

/* The fields this endpoint never tracks, as upstream's per-kind reset fields: .status on the main resource of a
 * kind with a status subresource; everything but .status on /status (the only thing a /status write takes);
 * everything but .spec.replicas on /scale. NULL when none (or no memory: then nothing is ignored). */
static struct kc_fieldset *
ignored_fields(const struct api_request *rq, const struct kc_schema *sc)
{
    struct kc_fieldset *s = kc_fieldset_new();
    struct kc_pe pe[2] = { { .type = KC_PE_FIELD }, { .type = KC_PE_FIELD } };
    int rc = s ? 0 : -ENOMEM;
    if (rc == 0 && strcmp(rq->sub, "status") == 0) {
        for (size_t i = 0; sc && i < sc->nprops && rc == 0; i++) {
            if (strcmp(sc->props[i].name, "status") == 0)
                continue;
            pe[0].field = sc->props[i].name;
            rc = kc_fieldset_insert(s, pe, 1);
        }
    } else if (rc == 0 && strcmp(rq->sub, "scale") == 0) {
        const struct kc_schema_prop *spec = kc_schema_prop_find(sc, "spec");
        for (size_t i = 0; sc && i < sc->nprops && rc == 0; i++) {
            if (strcmp(sc->props[i].name, "spec") == 0)
                continue;
            pe[0].field = sc->props[i].name;
            rc = kc_fieldset_insert(s, pe, 1);
        }
        pe[0].field = "spec";
        for (size_t i = 0; spec && i < spec->schema->nprops && rc == 0; i++) {
            if (strcmp(spec->schema->props[i].name, "replicas") == 0)
                continue;
            pe[1].field = spec->schema->props[i].name;
            rc = kc_fieldset_insert(s, pe, 2);
        }
    } else if (rc == 0 && rq->res && (rq->res->subs & API_SUB_STATUS)) {
        pe[0].field = "status";
        rc = kc_fieldset_insert(s, pe, 1);
    }
    if (rc != 0 || kc_fieldset_empty(s)) {
        kc_fieldset_free(s);
        return NULL;
    }
    return s;
}

static void
ctx_init(const struct api_request *rq, const struct kc_schema *sc, struct kc_fieldset *ignored, char *av, size_t avlen,
         char *now, struct kc_managed_ctx *ctx)
{
    api_resource_api_version(rq->res, av, avlen);
    kc_time_format(kc_time_now(), now);
    ctx->schema = sc;
    ctx->api_version = av;
    ctx->subresource = rq->sub;
    ctx->ignored = ignored;
    ctx->now = now;
}

/* Writes m into obj's metadata.managedFields (removed when m is empty). */
static int
store_managed(json_t *obj, const struct kc_managed *m)
{
    json_t *meta = json_object_get(obj, "metadata");
    if (!json_is_object(meta))
        return 0;
    if (m->n == 0) {
        json_object_del(meta, "managedFields");
        return 0;
    }
    json_t *enc;
    int rc = kc_managed_encode(m, &enc);
    json_object_del(meta, "managedFields"); /* re-added last, where Go's ObjectMeta writes it */
    if (rc == 0 && json_object_set_new(meta, "managedFields", enc) != 0)
        rc = -ENOMEM;
    return rc;
}

void
api_managed_update(const struct api_request *rq, const json_t *old, const json_t *tracked, json_t *obj,
                   struct kc_sb *text)
{
    const struct kc_schema *sc = schema_of(rq);
    json_t *meta = json_object_get(obj, "metadata");
    if (!json_is_object(meta))
        return;
    const json_t *mf_old = old ? kc_json_get(old, "metadata.managedFields") : NULL;
    json_t *mf_new = json_incref(json_object_get(meta, "managedFields"));
    struct kc_managed m;
    kc_managed_init(&m);
    /* decodeLiveOrNew: a subresource keeps the live entries; [] or [{}] resets; valid entries in the request are
     * taken; else the live ones (so clients that do not know managedFields cannot drop them) */
    if (rq->sub[0]) {
        if (kc_managed_decode(mf_old, &m, NULL, 0) != 0)
            kc_managed_init(&m);
    } else if (!kc_managed_is_reset(mf_new)) {
        if (kc_managed_decode(mf_new, &m, NULL, 0) != 0 || m.n == 0) {
            kc_managed_close(&m);
            if (kc_managed_decode(mf_old, &m, NULL, 0) != 0)
                kc_managed_init(&m);
        }
    }
    json_decref(mf_new);
    json_object_del(meta, "managedFields");
    /* skipNonApplied: an existing object without managedFields is not tracked from here on */
    if (m.n == 0 && old) {
        kc_managed_close(&m);
        return;
    }
    char av[128], now[KC_TIME_BUF], mbuf[FIELD_MANAGER_MAX + 1];
    struct kc_fieldset *ignored = ignored_fields(rq, sc);
    struct kc_managed_ctx ctx;
    ctx_init(rq, sc, ignored, av, sizeof(av), now, &ctx);
    const char *manager = api_field_manager(rq, mbuf, sizeof(mbuf));
    int rc;
    if (old) {
        rc = kc_managed_update(&m, &ctx, manager, old, tracked ? tracked : obj);
        if (rc == 0)
            rc = store_managed(obj, &m);
    } else { /* a create: kc_managed_update against the kind's empty object, without the compare */
        rc = text ? kc_managed_create_encode_text(&m, &ctx, manager, tracked ? tracked : obj, text) : KC_EUNSUPPORTED;
        if (rc == KC_EUNSUPPORTED) {
            json_t *enc = NULL;
            rc = kc_managed_create_encode(&m, &ctx, manager, tracked ? tracked : obj, &enc);
            if (rc == 0 && enc && json_object_set_new(meta, "managedFields", enc) != 0) /* as store_managed puts it */
                rc = -ENOMEM;
        }
    }
    if (rc != 0) {
        /* UpdateNoErrors: never garbage; the object goes without managedFields */
        json_object_del(meta, "managedFields");
        KC_LOG(KC_LOG_WARN, "apiserver", "failed to update managedFields", "resource=%s name=%s err=\"%s\"",
               rq->res->plural, rq->name, kc_strerror(rc));
    }
    kc_fieldset_free(ignored);
    kc_managed_close(&m);
}

/* --- server-side apply --- */

/* Parses an apply body as upstream's non-strict yaml.Unmarshal: JSON or YAML, duplicate keys allowed (the last
 * wins). For a YAML body *dups gets go-yaml's strict message for each repeated key (a new array; the strict check
 * after the apply reports them); for a JSON one it stays NULL (kc_strict_scan finds them in the text). */
static int
parse_apply_body(const struct api_request *rq, json_t **out, char *err, size_t errlen, json_t **dups)
{
    const char *b = rq->body ? rq->body : "";
    size_t n = rq->body_len, i = 0;
    *dups = NULL;
    while (i < n && strchr(" \t\r\n", b[i]) && b[i])
        i++;
    if (i < n && b[i] == '{') {
        json_error_t je;
        json_t *v = json_loadb(b, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        if (v) {
            *out = v;
            return 0;
        }
    }
    if (i == n) { /* an empty body: an empty object, as yaml.Unmarshal leaves the map */
        *out = json_object();
        return *out ? 0 : -ENOMEM;
    }
    struct kc_yaml_error ye = { 0 };
    json_t *v = NULL;
    int rc = kc_yaml_load_one_flags(b, n, KC_YAML_ALLOW_DUPLICATES, &v, dups, &ye);
    if (rc == KC_EPARSE) {
        snprintf(err, errlen, "%s", ye.message);
        return rc;
    }
    if (rc != 0)
        return rc;
    *out = v;
    return 0;
}

/* "apps/v1, Kind=Deployment" as schema.GroupVersionKind prints ("/v1, Kind=Pod" for the core group). */
static void
gvk_text(const char *api_version, const char *kind, char *buf, size_t len)
{
    const char *slash = api_version ? strchr(api_version, '/') : NULL;
    if (slash)
        snprintf(buf, len, "%.*s/%s, Kind=%s", (int)(slash - api_version), api_version, slash + 1, kind ? kind : "");
    else
        snprintf(buf, len, "/%s, Kind=%s", api_version ? api_version : "", kind ? kind : "");
}

/* Removes the nulls of obj that live does not have at the same place: nulls the configuration set and the maps or
 * lists the apply emptied (upstream's conversion to the Go types drops them), while nulls the stored object already
 * had (a template's "creationTimestamp": null) stay. Lists are matched item by item. */
static void
drop_new_nulls(json_t *obj, const json_t *live)
{
    if (json_is_array(obj)) {
        size_t i;
        json_t *x;
        json_array_foreach(obj, i, x) drop_new_nulls(x, json_is_array(live) ? json_array_get(live, i) : NULL);
        return;
    }
    if (!json_is_object(obj))
        return;
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(obj, tmp, k, v)
    {
        const json_t *lv = json_is_object(live) ? json_object_get(live, k) : NULL;
        if (json_is_null(v) && !json_is_null(lv))
            json_object_del(obj, k);
        else
            drop_new_nulls(v, lv);
    }
}

static void
reply_conflicts(struct api_reply *rep, struct kc_managed_conflicts *c)
{
    json_t *st = api_status(409, "Conflict", c->message, NULL, NULL, NULL);
    json_object_set_new(st, "details", json_pack("{s:O}", "causes", c->causes));
    json_decref(rep->body);
    rep->status = 409;
    rep->body = st;
}

static int apply_decoded(struct api_request *rq, struct api_reply *rep, const json_t *old, json_t *cfg,
                         const json_t *dups, json_t **out);

int
api_apply_patch(struct api_request *rq, struct api_reply *rep, const json_t *old, bool status, json_t **out)
{
    char err[384];
    json_t *cfg = NULL, *dups = NULL;
    int rc = parse_apply_body(rq, &cfg, err, sizeof(err), &dups);
    if (rc == KC_EPARSE) {
        api_reply_statusf(rep, 400, "BadRequest", "error decoding YAML: error converting YAML to JSON: %s", err);
        return -1;
    }
    if (rc != 0) {
        api_reply_error(rep, rq, rc);
        return -1;
    }
    (void)status;
    rc = apply_decoded(rq, rep, old, cfg, dups, out);
    json_decref(dups);
    return rc;
}

/* api_apply_patch after the body's decoding: cfg (taken) is the configuration, dups the YAML body's repeated keys
 * (NULL for a JSON body). */
static int
apply_decoded(struct api_request *rq, struct api_reply *rep, const json_t *old, json_t *cfg, const json_t *dups,
              json_t **out)
{
    const struct kc_schema *sc = schema_of(rq);
    enum api_field_validation fv = api_field_validation(rq);
    bool force = false;
    int rc;
    if (rq->force)
        parse_bool(rq->force, &force); /* checked by api_check_options */
    if (!json_is_object(cfg)) {
        api_reply_statusf(rep, 400, "BadRequest",
                          "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
                          "%s into Go value of type map[string]interface {}",
                          json_is_array(cfg)    ? "array"
                          : json_is_string(cfg) ? "string"
                          : json_is_number(cfg) ? "number"
                                                : "bool");
        json_decref(cfg);
        return -1;
    }
    /* versionCheckManager: the configuration's group/version/kind must be the endpoint's */
    char av[128], gvk[320];
    api_resource_api_version(rq->res, av, sizeof(av));
    const char *cav = json_string_value(json_object_get(cfg, "apiVersion"));
    const char *ckind = json_string_value(json_object_get(cfg, "kind"));
    gvk_text(cav, ckind, gvk, sizeof(gvk));
    if (!cav || !ckind || strcmp(cav, av) != 0 || strcmp(ckind, rq->res->kind) != 0) {
        api_reply_statusf(rep, 400, "BadRequest", "invalid object type: %s", gvk);
        json_decref(cfg);
        return -1;
    }
    if (json_is_array(kc_json_get(cfg, "metadata.managedFields"))) {
        api_reply_statusf(rep, 400, "BadRequest", "metadata.managedFields must be nil");
        json_decref(cfg);
        return -1;
    }
    /* ObjectToTyped: fields and values the schema does not allow (upstream 1.33 answers 500) */
    json_t *verrs = NULL;
    if ((rc = kc_typed_validate(cfg, sc, &verrs)) != 0) {
        json_decref(cfg);
        api_reply_error(rep, rq, rc);
        return -1;
    }
    if (verrs) {
        char *text = kc_typed_errors_text(verrs);
        const char *ns = kc_json_get_string(cfg, "metadata.namespace"), *nm = kc_json_get_string(cfg, "metadata.name");
        struct api_sb msg = { 0 };
        api_sb_printf(&msg, "failed to create typed patch object (%s/%s; %s): %s", ns ? ns : "", nm ? nm : "", gvk,
                      text ? text : "");
        reply_message(rep, 500, "", api_sb_str(&msg));
        api_sb_free(&msg);
        free(text);
        json_decref(verrs);
        json_decref(cfg);
        return -1;
    }
    /* the live object without what the fieldmanager keeps apart */
    json_t *live = old ? json_deep_copy(old) : json_object();
    struct kc_managed m;
    kc_managed_init(&m);
    if (!live) {
        json_decref(cfg);
        api_reply_error(rep, rq, -ENOMEM);
        return -1;
    }
    if (old) {
        char derr[256];
        if ((rc = kc_managed_decode(kc_json_get(old, "metadata.managedFields"), &m, derr, sizeof(derr))) != 0) {
            if (rc == KC_EINVALID)
                api_reply_statusf(rep, 500, "", "failed to decode managed fields: %s", derr);
            else
                api_reply_error(rep, rq, rc);
            json_decref(live);
            json_decref(cfg);
            return -1;
        }
        kc_json_del(live, "metadata.managedFields");
        kc_json_del(live, "metadata.resourceVersion");
    }
    char now[KC_TIME_BUF];
    struct kc_fieldset *ignored = ignored_fields(rq, sc);
    struct kc_managed_ctx ctx;
    ctx_init(rq, sc, ignored, av, sizeof(av), now, &ctx);
    struct kc_managed_conflicts conf = { 0 };
    json_t *obj = NULL;
    bool changed = false;
    rc =
        kc_managed_apply(&m, &ctx, rq->field_manager ? rq->field_manager : "", live, cfg, force, &obj, &changed, &conf);
    kc_fieldset_free(ignored);
    json_decref(live);
    if (rc == KC_ECONFLICT) {
        reply_conflicts(rep, &conf);
        kc_managed_conflicts_close(&conf);
        kc_managed_close(&m);
        json_decref(cfg);
        return -1;
    }
    if (rc != 0) {
        kc_managed_close(&m);
        json_decref(cfg);
        api_reply_error(rep, rq, rc);
        return -1;
    }
    /* the strict check of apply bodies is go-yaml's duplicate-key check, after the apply (the apply itself read
     * repeated keys with the last one winning): Strict refuses them, Warn warns once per repeated key */
    if (fv != API_FV_IGNORE) {
        json_t *lines = dups ? json_incref((json_t *)dups) : NULL;
        if ((lines ||
             kc_strict_scan(rq->body ? rq->body : "", rq->body_len, NULL, KC_STRICT_YAML_LINES, NULL, &lines) == 0) &&
            json_array_size(lines) > 0) {
            if (fv == API_FV_STRICT) {
                struct api_sb msg = { 0 };
                api_sb_puts(&msg, "error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:");
                size_t i;
                json_t *l;
                json_array_foreach(lines, i, l)
                {
                    api_sb_puts(&msg, "\n  ");
                    api_sb_puts(&msg, json_string_value(l));
                }
                reply_message(rep, 400, "BadRequest", api_sb_str(&msg));
                api_sb_free(&msg);
                json_decref(lines);
                json_decref(obj);
                kc_managed_close(&m);
                json_decref(cfg);
                return -1;
            }
            warn_all(rep, lines);
        }
        json_decref(lines);
    }
    const char *uid = kc_json_get_string(cfg, "metadata.uid");
    if (!old && uid && *uid) {
        char res[160];
        snprintf(res, sizeof(res), "%s%s%s", rq->res->plural, rq->res->group[0] ? "." : "", rq->res->group);
        api_reply_statusf(rep, 409, "Conflict",
                          "Operation cannot be fulfilled on %s \"%s\": uid mismatch: the provided object specified uid "
                          "%s, and no existing object was found",
                          res, rq->name, uid);
        json_decref(obj);
        kc_managed_close(&m);
        json_decref(cfg);
        return -1;
    }
    json_decref(cfg);
    const char *name = kc_json_get_string(obj, "metadata.name");
    if (!name || strcmp(name, rq->name) != 0) {
        api_reply_statusf(rep, 400, "BadRequest", "the name of the object (%s) does not match the name on the URL (%s)",
                          name ? name : "", rq->name);
        json_decref(obj);
        kc_managed_close(&m);
        return -1;
    }
    drop_new_nulls(obj, old);
    kc_strict_prune(obj, sc);
    rc = store_managed(obj, &m);
    kc_managed_close(&m);
    if (rc != 0) {
        json_decref(obj);
        api_reply_error(rep, rq, rc);
        return -1;
    }
    (void)changed;
    *out = obj;
    return 0;
}
