/* print_obj.c - kubectl's object printers: -o json (encoding/json, 4-space indent), -o yaml (kc_yaml, sorted
 * keys), the `kind: List` wrapper, -o name and -o custom-columns. Pure. */
#include "kctl_print.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_yaml.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
kctl_print_json(const json_t *obj, FILE *out)
{
    int rc = kctl_go_json(obj, 4, out);
    fputc('\n', out);
    return rc;
}

int
kctl_print_yaml(const json_t *obj, FILE *out)
{
    char *text = NULL;
    int rc = kc_yaml_dump(obj, KC_YAML_SORT_KEYS, &text);
    if (rc == 0)
        fputs(text, out);
    free(text);
    return rc;
}

json_t *
kctl_list_wrap(json_t *items)
{
    return json_pack("{s:s,s:O,s:s,s:{s:s}}", "apiVersion", "v1", "items", items, "kind", "List", "metadata",
                     "resourceVersion", "");
}

void
kctl_object_name(const char *kind, const char *group, const char *name, char *buf, size_t len)
{
    size_t o = 0;
    for (const char *k = kind; *k && o + 1 < len; k++)
        buf[o++] = (char)tolower((unsigned char)*k);
    if (group && *group && o + 1 < len)
        o += (size_t)snprintf(buf + o, len - o, ".%s", group);
    if (o < len)
        snprintf(buf + o, len - o, "/%s", name ? name : "");
}

struct column {
    char *header;
    struct kctl_jsonpath *jp;
};

struct kctl_columns {
    struct column *cols;
    size_t n;
};

void
kctl_columns_free(struct kctl_columns *cc)
{
    if (!cc)
        return;
    for (size_t i = 0; i < cc->n; i++) {
        free(cc->cols[i].header);
        kctl_jsonpath_free(cc->cols[i].jp);
    }
    free(cc->cols);
    free(cc);
}

int
kctl_columns_parse(const char *spec, struct kctl_columns **out, char *err, size_t errlen)
{
    if (!spec || !*spec) {
        snprintf(err, errlen, "custom-columns format specified but no custom columns given");
        return KC_EINVALID;
    }
    struct kctl_columns *cc = kc_calloc(1, sizeof(*cc));
    char *copy = kc_strdup(spec);
    size_t parts = 1;
    for (const char *p = spec; *p; p++)
        parts += *p == ',';
    if (!cc || !copy || !(cc->cols = kc_calloc(parts, sizeof(*cc->cols)))) {
        free(copy);
        kctl_columns_free(cc);
        return -ENOMEM;
    }
    int rc = 0;
    char *save = NULL;
    for (char *part = copy, *next; part && rc == 0; part = next) {
        next = strchr(part, ',');
        if (next)
            *next++ = '\0';
        char *colon = strchr(part, ':');
        if (!colon) {
            snprintf(err, errlen, "unexpected custom-columns spec: %s, expected <header>:<json-path-expr>", part);
            rc = KC_EINVALID;
            break;
        }
        *colon = '\0';
        char path[1024];
        if ((rc = kctl_jsonpath_relaxed(colon + 1, path, sizeof(path))) != 0) {
            snprintf(err, errlen,
                     "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or "
                     "'{.name1.name2}'");
            rc = KC_EINVALID;
            break;
        }
        struct column *c = &cc->cols[cc->n];
        c->header = kc_strdup(part);
        if (!c->header) {
            rc = -ENOMEM;
            break;
        }
        cc->n++;
        if ((rc = kctl_jsonpath_parse(path, &c->jp, err, errlen)) != 0)
            rc = rc == KC_EPARSE ? KC_EINVALID : rc;
    }
    (void)save;
    free(copy);
    if (rc) {
        kctl_columns_free(cc);
        return rc;
    }
    *out = cc;
    return 0;
}

int
kctl_columns_print(const struct kctl_columns *cc, const json_t *objs, bool no_headers, struct kctl_tabwriter *tw,
                   char *err, size_t errlen)
{
    if (!no_headers) {
        for (size_t i = 0; i < cc->n; i++)
            kctl_tabwriter_printf(tw, "%s%s", i ? "\t" : "", cc->cols[i].header);
        kctl_tabwriter_write(tw, "\n", 1);
    }
    size_t k;
    const json_t *obj;
    json_array_foreach(objs, k, obj)
    {
        for (size_t i = 0; i < cc->n; i++) {
            json_t *vals;
            int rc = kctl_jsonpath_find(cc->cols[i].jp, obj, &vals, err, errlen);
            if (rc)
                return rc;
            if (i)
                kctl_tabwriter_write(tw, "\t", 1);
            if (json_array_size(vals) == 0)
                kctl_tabwriter_write(tw, "<none>", 6);
            for (size_t j = 0; j < json_array_size(vals); j++) {
                char *text = NULL;
                size_t len = 0;
                FILE *m = open_memstream(&text, &len);
                if (!m) {
                    json_decref(vals);
                    return -ENOMEM;
                }
                kctl_go_sprint(json_array_get(vals, j), m);
                fclose(m);
                if (j)
                    kctl_tabwriter_write(tw, ",", 1);
                for (size_t b = 0; b < len; b++)
                    kctl_tabwriter_write(tw, text[b] == '\t' ? " " : text[b] == '\n' ? " " : text + b, 1);
                free(text);
            }
            json_decref(vals);
        }
        kctl_tabwriter_write(tw, "\n", 1);
    }
    return 0;
}
