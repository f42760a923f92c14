/* cmd_edit.c - `kctl edit TYPE NAME`: the object as YAML in $KUBE_EDITOR / $EDITOR (vi), then the two-way patch of
 * the edit (strategic, or JSON merge for kinds without a schema). On a syntax error or a refused patch the file is
 * opened again with the reasons in its header, as kubectl does; saving the same failing text again gives up. */
#include "kctl.h"
#include "kc_error.h"
#include "kc_json.h"
#include "kc_patch.h"
#include "kc_schema.h"
#include "kc_yaml.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char HEADER[] =
    "# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
    "# and an empty file will abort the edit. If an error occurs while saving this file will be\n"
    "# reopened with the relevant failures.\n#\n";

/* Runs the editor on path; returns 0 when it exited 0. */
static int
run_editor(struct kctl_config *cfg, const char *path)
{
    const char *ed = getenv("KUBE_EDITOR");
    if (!ed || !*ed)
        ed = getenv("EDITOR");
    if (!ed || !*ed)
        ed = "vi";
    fflush(cfg->out);
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        /* the editor string may carry arguments ("code -w"), as kubectl splits it with a shell */
        execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", ed, path, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(cfg->err, "error: there was a problem with the editor \"%s\"\n", ed);
        return 1;
    }
    return 0;
}

/* The text without the lines that start with '#' (kubectl's comment stripping). */
static char *
strip_comments(const char *text)
{
    size_t n = strlen(text), o = 0;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);
        if (line[0] != '#') {
            memcpy(out + o, line, len);
            o += len;
        }
        line += len;
    }
    out[o] = '\0';
    return out;
}

static bool
blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r')
            return false;
    return true;
}

static char *
read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            char *b = realloc(buf, cap = cap ? cap * 2 : 8192);
            if (!b) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = b;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The reasons of a refused patch for the header: `deployments.apps "web" was not valid:` and its causes. */
static void
reasons(const struct kctl_target *t, const struct kctl_response *resp, char *buf, size_t len)
{
    json_t *st = resp->body ? json_loadb(resp->body, resp->len, 0, NULL) : NULL;
    char gr[200];
    kctl_resource_gr(&t->r, gr, sizeof(gr));
    const json_t *causes = kc_json_get(st, "details.causes");
    size_t n = 0;
    if (json_array_size(causes)) {
        n += (size_t)snprintf(buf, len, "# %s \"%s\" was not valid:\n", gr, t->name);
        size_t i;
        json_t *c;
        json_array_foreach(causes, i, c)
        {
            const char *f = json_string_value(json_object_get(c, "field"));
            const char *m = json_string_value(json_object_get(c, "message"));
            if (n < len)
                n += (size_t)snprintf(buf + n, len - n, "# * %s%s%s\n", f ? f : "", f ? ": " : "", m ? m : "");
        }
    } else {
        const char *m = json_string_value(json_object_get(st, "message"));
        snprintf(buf, len, "# %s\n", m ? m : "the server refused the change");
        n = strlen(buf);
    }
    if (n < len)
        snprintf(buf + n, len - n, "#\n");
    json_decref(st);
}

static int
edit_one(struct kctl_client *c, const struct kctl_target *t, enum kctl_dry_run dry)
{
    struct kctl_config *cfg = kctl_client_config(c);
    json_t *orig;
    if (kctl_get_object(c, t, &orig) != 0)
        return 1;
    char *yaml = NULL, tmpl[] = "/tmp/kctl-edit-XXXXXX.yaml";
    if (kc_yaml_dump(orig, KC_YAML_SORT_KEYS, &yaml) != 0) {
        json_decref(orig);
        fprintf(cfg->err, "error: out of memory\n");
        return 1;
    }
    int fd = mkstemps(tmpl, 5);
    if (fd < 0) {
        fprintf(cfg->err, "error: cannot create a temporary file: %s\n", strerror(errno));
        free(yaml);
        json_decref(orig);
        return 1;
    }
    close(fd);
    char why[4096] = "", *body = yaml, *last_failed = NULL;
    int rc = 1;
    for (;;) {
        FILE *f = fopen(tmpl, "w");
        if (!f) {
            fprintf(cfg->err, "error: %s: %s\n", tmpl, strerror(errno));
            break;
        }
        fprintf(f, "%s%s%s", HEADER, why, body);
        fclose(f);
        if (run_editor(cfg, tmpl) != 0)
            break;
        char *text = read_text(tmpl), *edited = text ? strip_comments(text) : NULL;
        free(text);
        if (!edited) {
            fprintf(cfg->err, "error: cannot read %s\n", tmpl);
            break;
        }
        if (blank(edited)) {
            fprintf(cfg->err, "Edit cancelled, no valid changes were saved.\n");
            free(edited);
            rc = 0;
            break;
        }
        if (last_failed && strcmp(last_failed, edited) == 0) { /* the same failing text again: give up */
            fprintf(cfg->err,
                    "A copy of your changes has been stored to \"%s\"\nerror: Edit cancelled, no valid "
                    "changes were saved.\n",
                    tmpl);
            free(edited);
            tmpl[0] = '\0'; /* keep the copy */
            break;
        }
        json_t *doc = NULL;
        struct kc_yaml_error ye = { 0 };
        if (kc_yaml_load_one(edited, strlen(edited), &doc, &ye) != 0 || !json_is_object(doc)) {
            snprintf(why, sizeof(why), "# The edited file had a syntax error: error converting YAML to JSON: %s\n#\n",
                     doc ? "the document is not an object" : ye.message);
            json_decref(doc);
            goto again;
        }
        if (kc_json_equal(doc, orig)) {
            fprintf(cfg->err, "Edit cancelled, no changes made.\n");
            json_decref(doc);
            free(edited);
            rc = 0;
            break;
        }
        static const char *const fixed[] = { "apiVersion", "kind", "metadata.name" };
        bool moved = false;
        for (size_t i = 0; i < 3; i++)
            moved |= !kc_json_equal(kc_json_get(doc, fixed[i]), kc_json_get(orig, fixed[i]));
        if (moved) {
            snprintf(why, sizeof(why), "# error: At least one of apiVersion, kind and name was changed\n#\n");
            json_decref(doc);
            goto again;
        }
        const struct kc_schema *schema = kc_schema_find_gvk(t->r.group, t->r.version, t->r.kind);
        json_t *patch = NULL;
        char perr[512];
        if (kc_patch_strategic_create(orig, doc, orig, schema, &patch, perr, sizeof(perr)) != 0) {
            snprintf(why, sizeof(why), "# %s\n#\n", perr);
            json_decref(doc);
            goto again;
        }
        json_decref(doc);
        char *pbody = kctl_json_go(patch), path[2048], q[512], name[600];
        json_decref(patch);
        kctl_target_path(t, NULL, path, sizeof(path));
        kctl_write_query(cfg, dry, "kubectl-edit", true, q, sizeof(q));
        strncat(path, q, sizeof(path) - strlen(path) - 1);
        kctl_target_name(t, name, sizeof(name));
        if (dry == KCTL_DRY_CLIENT) {
            fprintf(cfg->out, "%s edited (dry run)\n", name);
            free(pbody);
            free(edited);
            rc = 0;
            break;
        }
        struct kctl_response resp;
        if (!pbody || kctl_request(c, "PATCH", path,
                                   schema ? "application/strategic-merge-patch+json" : "application/merge-patch+json",
                                   pbody, strlen(pbody), NULL, &resp) != 0) {
            free(pbody);
            free(edited);
            break;
        }
        free(pbody);
        if (resp.status >= 200 && resp.status <= 299) {
            kctl_print_warnings(cfg, &resp);
            fprintf(cfg->out, "%s edited%s\n", name, kctl_dry_run_suffix(dry));
            kctl_response_free(&resp);
            free(edited);
            rc = 0;
            break;
        }
        if (resp.status == 401 || resp.status == 403 || resp.status == 404 || resp.status >= 500) {
            kctl_print_error(cfg, &resp);
            kctl_response_free(&resp);
            free(edited);
            break;
        }
        reasons(t, &resp, why, sizeof(why));
        kctl_response_free(&resp);
    again:
        /* open the editor again on what the user wrote, with the reasons on top */
        free(last_failed);
        last_failed = edited;
        if (body != yaml)
            free(body);
        body = strdup(edited);
        if (!body) {
            body = yaml;
            break;
        }
    }
    if (body != yaml)
        free(body);
    free(last_failed);
    free(yaml);
    json_decref(orig);
    if (tmpl[0])
        unlink(tmpl);
    return rc;
}

int
kctl_cmd_edit(struct kctl_config *cfg)
{
    enum kctl_dry_run dry;
    if (kctl_dry_run_mode(cfg, &dry) != 0)
        return 1;
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    struct kctl_targets t = { 0 };
    int rc = kctl_targets_collect(c, &t, 0);
    for (size_t i = 0; rc == 0 && i < t.n; i++)
        rc = edit_one(c, &t.v[i], dry);
    kctl_targets_close(&t);
    kctl_client_free(c);
    return rc;
}
