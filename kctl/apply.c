/* apply.c - the client-side apply computation, pure: the last-applied-configuration annotation byte for byte as
 * kubectl writes it (Go's encoding/json), and the three-way patch from that annotation, the manifest and the
 * live object (strategic merge patch for kinds with a schema, JSON merge patch for the others). */
#include "kc_sb.h"
#include "kctl.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_patch.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

char *
kctl_json_go(const json_t *v)
{
    struct kc_sb b = { 0 };
    kc_sb_go_json_sorted(&b, v ? v : json_null()); /* a decoded manifest is a map[string]interface{} */
    return kc_sb_take(&b);
}

/* A copy of obj whose metadata.annotations is the object's annotations without the last-applied one ({} when
 * there are none), as GetModifiedConfiguration leaves it before encoding. */
static json_t *
without_annotation(const json_t *obj)
{
    json_t *c = json_deep_copy(obj);
    if (!c)
        return NULL;
    json_t *md = json_object_get(c, "metadata");
    if (!json_is_object(md)) {
        md = json_object();
        if (!md || json_object_set_new(c, "metadata", md) != 0) {
            json_decref(c);
            return NULL;
        }
    }
    json_t *ann = json_object_get(md, "annotations");
    if (!json_is_object(ann)) {
        ann = json_object();
        if (!ann || json_object_set_new(md, "annotations", ann) != 0) {
            json_decref(c);
            return NULL;
        }
    }
    json_object_del(ann, KCTL_LAST_APPLIED);
    return c;
}

int
kctl_apply_config(const json_t *obj, char **out)
{
    if (!json_is_object(obj) || !out)
        return KC_EINVALID;
    json_t *c = without_annotation(obj);
    char *s = c ? kctl_json_go(c) : NULL;
    json_decref(c);
    if (!s)
        return -ENOMEM;
    size_t n = strlen(s);
    char *t = kc_realloc(s, n + 2);
    if (!t) {
        free(s);
        return -ENOMEM;
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    *out = t;
    return 0;
}

int
kctl_apply_annotated(const json_t *obj, json_t **out)
{
    char *cfg;
    int rc = kctl_apply_config(obj, &cfg);
    if (rc != 0)
        return rc;
    json_t *c = without_annotation(obj);
    json_t *s = json_string(cfg);
    free(cfg);
    if (!c || !s ||
        json_object_set_new(json_object_get(json_object_get(c, "metadata"), "annotations"), KCTL_LAST_APPLIED, s) !=
            0) {
        if (!c)
            json_decref(s);
        json_decref(c);
        return -ENOMEM;
    }
    *out = c;
    return 0;
}

int
kctl_apply_patch(const json_t *obj, const json_t *live, const struct kc_schema *schema, char **patch_out,
                 const char **ctype, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!json_is_object(obj) || !json_is_object(live) || !patch_out)
        return KC_EINVALID;
    json_t *original = NULL, *modified = NULL, *patch = NULL;
    const char *last = kc_json_get_string(live, "metadata.annotations.kubectl\\.kubernetes\\.io/"
                                                "last-applied-configuration");
    int rc = 0;
    if (last && *last) {
        char perr[200];
        rc = kc_json_parse(last, strlen(last), &original, perr, sizeof(perr));
        if (rc == -ENOMEM)
            return rc;
        if (rc != 0) {
            if (err && errlen)
                snprintf(err, errlen, "the %s annotation of the live object is not JSON: %s", KCTL_LAST_APPLIED, perr);
            return KC_EPARSE;
        }
    }
    if ((rc = kctl_apply_annotated(obj, &modified)) == 0)
        rc = kc_patch_strategic_create(original, modified, live, schema, &patch, err, errlen);
    json_decref(original);
    json_decref(modified);
    if (rc != 0)
        return rc;
    char *text = NULL;
    if (json_object_size(patch) > 0 && !(text = kctl_json_go(patch))) {
        json_decref(patch);
        return -ENOMEM;
    }
    json_decref(patch);
    *patch_out = text;
    if (ctype)
        *ctype = schema ? "application/strategic-merge-patch+json" : "application/merge-patch+json";
    return 0;
}
