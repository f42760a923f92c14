/* cmd_create.c - `kctl create -f`, the generators `create namespace|configmap|secret generic|deployment|job` (the
 * objects kubectl 1.33 builds, sent as JSON), and `kctl replace -f` (PUT; a stale resourceVersion is kubectl's 409
 * Conflict; --force deletes and creates). */
#include "kctl.h"
#include "kc_crypto.h"
#include "kc_fault.h"
#include "kc_json.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CREATE_MANAGER  "kubectl-create"
#define REPLACE_MANAGER "kubectl-replace"

/* POSTs obj to r (in ns) and prints `kind.group/name created`; src names the file for errors. Returns 0 or 1. */
static int
create_one(struct kctl_client *c, const struct kctl_resource *r, const char *ns, json_t *obj,
           const struct kctl_object *src, enum kctl_dry_run dry, json_t *printed)
{
    struct kctl_config *cfg = kctl_client_config(c);
    char path[2048], q[512], name[600];
    kctl_kind_name(r->kind, r->group, kc_json_get_string(obj, "metadata.name"), name, sizeof(name));
    if (dry == KCTL_DRY_CLIENT) {
        if (printed)
            json_array_append(printed, obj);
        else
            fprintf(cfg->out, "%s created (dry run)\n", name);
        return 0;
    }
    if (kctl_resource_path(r, ns, NULL, NULL, path, sizeof(path)) != 0)
        return 1;
    kctl_write_query(cfg, dry, CREATE_MANAGER, true, q, sizeof(q));
    strncat(path, q, sizeof(path) - strlen(path) - 1);
    char *body = kctl_json_go(obj);
    if (!body) {
        fprintf(cfg->err, "error: out of memory\n");
        return 1;
    }
    struct kctl_response resp;
    int rc = kctl_request(c, "POST", path, "application/json", body, strlen(body), NULL, &resp);
    free(body);
    if (rc != 0)
        return 1;
    if (resp.status < 200 || resp.status > 299) {
        if (src)
            kctl_print_source_error(cfg, &resp, "creating", src);
        else
            kctl_print_error(cfg, &resp);
        kctl_response_free(&resp);
        return 1;
    }
    kctl_print_warnings(cfg, &resp);
    json_t *answer = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
    kctl_response_free(&resp);
    const char *aname = kc_json_get_string(answer, "metadata.name"); /* generateName */
    if (aname)
        kctl_kind_name(r->kind, r->group, aname, name, sizeof(name));
    if (printed)
        json_array_append(printed, answer ? answer : obj);
    else
        fprintf(cfg->out, "%s created%s\n", name, kctl_dry_run_suffix(dry));
    json_decref(answer);
    return 0;
}

static int
output_mode(struct kctl_config *cfg, json_t **printed)
{
    *printed = NULL;
    if (!cfg->output || !*cfg->output || strcmp(cfg->output, "name") == 0)
        return 0;
    if (strcmp(cfg->output, "json") != 0 && strcmp(cfg->output, "yaml") != 0) {
        fprintf(cfg->err,
                "error: unable to match a printer suitable for the output format \"%s\", allowed formats "
                "are: json,name,yaml\n",
                cfg->output);
        return 1;
    }
    *printed = json_array();
    return 0;
}

/* `kctl create -f ...` */
static int
create_files(struct kctl_config *cfg)
{
    enum kctl_dry_run dry;
    json_t *printed;
    if (kctl_dry_run_mode(cfg, &dry) != 0 || output_mode(cfg, &printed) != 0)
        return 1;
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0) {
        json_decref(printed);
        return 1;
    }
    struct kctl_targets t = { 0 };
    int rc = kctl_targets_collect(c, &t, 0);
    bool name_only = cfg->output && strcmp(cfg->output, "name") == 0;
    for (size_t i = 0; i < t.n; i++) {
        if (name_only) {
            json_t *tmp = json_array();
            if (create_one(c, &t.v[i].r, t.v[i].ns, t.v[i].obj, t.v[i].src, dry, tmp) != 0)
                rc = 1;
            else {
                char name[600];
                const char *n = kc_json_get_string(json_array_get(tmp, 0), "metadata.name");
                kctl_kind_name(t.v[i].r.kind, t.v[i].r.group, n, name, sizeof(name));
                fprintf(cfg->out, "%s\n", name);
            }
            json_decref(tmp);
        } else if (create_one(c, &t.v[i].r, t.v[i].ns, t.v[i].obj, t.v[i].src, dry, printed) != 0) {
            rc = 1;
        }
    }
    if (printed && json_array_size(printed))
        kctl_write_print(cfg, cfg->output, printed);
    json_decref(printed);
    kctl_targets_close(&t);
    kctl_client_free(c);
    return rc;
}

int
kctl_cmd_create(struct kctl_config *cfg)
{
    if (cfg->filenames.n == 0) {
        fprintf(cfg->err, "error: must specify one of -f and -k\n");
        return 1;
    }
    if (cfg->nargs > 0) {
        fprintf(cfg->err, "error: Unexpected args: [%s]\nSee 'kctl create -h' for help and examples\n", cfg->args[0]);
        return 1;
    }
    return create_files(cfg);
}

/* ------------------------------------------------------------------------------------------ generators */

/* Builds nothing itself: resolves the kind, fills metadata.name/namespace and creates. */
static int
create_generated(struct kctl_config *cfg, const char *type, json_t *obj)
{
    enum kctl_dry_run dry;
    json_t *printed;
    if (kctl_dry_run_mode(cfg, &dry) != 0 || output_mode(cfg, &printed) != 0) {
        json_decref(obj);
        return 1;
    }
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0) {
        json_decref(obj);
        json_decref(printed);
        return 1;
    }
    struct kctl_resource r;
    int rc = kctl_resolve(c, type, &r);
    if (rc == 0) {
        const char *ns = r.namespaced ? kctl_client_namespace(c) : NULL;
        if (ns && dry != KCTL_DRY_CLIENT)
            json_object_set_new(json_object_get(obj, "metadata"), "namespace", json_string(ns));
        bool name_only = cfg->output && strcmp(cfg->output, "name") == 0;
        rc = create_one(c, &r, ns, obj, NULL, dry, printed);
        if (rc == 0 && name_only) {
            char name[600];
            kctl_kind_name(r.kind, r.group, kc_json_get_string(obj, "metadata.name"), name, sizeof(name));
            fprintf(cfg->out, "%s\n", name);
        }
    }
    if (printed && json_array_size(printed))
        kctl_write_print(cfg, cfg->output, printed);
    json_decref(printed);
    json_decref(obj);
    kctl_client_free(c);
    return rc;
}

/* The NAME of `kctl create KIND NAME`: exactly one argument. */
static const char *
gen_name(struct kctl_config *cfg, const char *what)
{
    int n = cfg->dash >= 0 ? cfg->dash : cfg->nargs;
    if (n < 1) {
        fprintf(cfg->err, "error: exactly one NAME is required, got 0\nSee 'kctl create %s -h' for help and examples\n",
                what);
        return NULL;
    }
    if (n > 1) {
        fprintf(cfg->err,
                "error: exactly one NAME is required, got %d\nSee 'kctl create %s -h' for help and "
                "examples\n",
                n, what);
        return NULL;
    }
    return cfg->args[0];
}

static json_t *
meta(const char *kind, const char *api_version, const char *name)
{
    return json_pack("{s:s, s:s, s:{s:s}}", "kind", kind, "apiVersion", api_version, "metadata", "name", name);
}

int
kctl_cmd_create_namespace(struct kctl_config *cfg)
{
    const char *name = gen_name(cfg, "namespace");
    if (!name)
        return 1;
    json_t *obj = meta("Namespace", "v1", name);
    json_object_set_new(obj, "spec", json_object());
    json_object_set_new(obj, "status", json_object());
    return create_generated(cfg, "namespaces", obj);
}

/* kubectl's configmap/secret key rule: [-._a-zA-Z0-9]+, at most 253 characters, not "." or "..". */
static bool
valid_key(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 253 || strcmp(k, ".") == 0 || strcmp(k, "..") == 0)
        return false;
    for (const char *p = k; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return false;
    return true;
}

static bool
utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t l = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!l || i + l > n || (l == 2 && c < 0xC2))
            return false;
        for (size_t j = 1; j < l; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
        i += l;
    }
    return true;
}

static int
read_whole(const char *path, char **out, size_t *len)
{
    int fd = kc_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    size_t cap = 4096, n = 0;
    char *buf = kc_malloc(cap);
    while (buf) {
        if (n == cap) {
            char *b = kc_realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
        }
        ssize_t r = kc_read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r < 0) {
                free(buf);
                buf = NULL;
            }
            break;
        }
        n += (size_t)r;
    }
    int e = errno;
    close(fd);
    if (!buf)
        return e ? -e : -ENOMEM;
    *out = buf;
    *len = n;
    return 0;
}

/* Adds key → bytes to data (text) or binary (configmap binaryData) / data base64 (secret). */
static int
add_entry(struct kctl_config *cfg, const char *what, const char *name, bool secret, json_t *data, json_t *binary,
          const char *key, const char *val, size_t len)
{
    if (!valid_key(key)) {
        fprintf(cfg->err, "error: \"%s\" is not valid key name for a %s\n", key, what);
        return 1;
    }
    if (json_object_get(data, key) || (binary && json_object_get(binary, key))) {
        fprintf(cfg->err, "error: cannot add key \"%s\", another key by that name already exists in %s for %s \"%s\"\n",
                key, secret ? "data" : "Data", what, name);
        return 1;
    }
    if (!secret && utf8_valid((const unsigned char *)val, len)) {
        json_object_set_new(data, key, json_stringn(val, len));
        return 0;
    }
    char *b64 = kc_base64_encode(val, len);
    if (!b64) {
        fprintf(cfg->err, "error: out of memory\n");
        return 1;
    }
    json_object_set_new(secret ? data : binary, key, json_string(b64));
    free(b64);
    return 0;
}

/* --from-literal and --from-file (FILE, KEY=FILE, DIR) into data/binary. */
static int
fill_sources(struct kctl_config *cfg, const char *what, const char *name, bool secret, json_t *data, json_t *binary)
{
    for (int i = 0; i < cfg->from_literal.n; i++) {
        const char *l = cfg->from_literal.v[i], *eq = strchr(l, '=');
        if (!eq || eq == l) {
            fprintf(cfg->err, "error: invalid literal source %s, expected key=value\n", l);
            return 1;
        }
        char key[300];
        snprintf(key, sizeof(key), "%.*s", (int)(eq - l), l);
        if (add_entry(cfg, what, name, secret, data, binary, key, eq + 1, strlen(eq + 1)) != 0)
            return 1;
    }
    for (int i = 0; i < cfg->from_file.n; i++) {
        const char *f = cfg->from_file.v[i], *eq = strchr(f, '=');
        char key[300] = "";
        const char *path = f;
        if (eq) {
            snprintf(key, sizeof(key), "%.*s", (int)(eq - f), f);
            path = eq + 1;
            if (!key[0] || !path[0]) {
                fprintf(cfg->err, "error: key names or file paths cannot be empty\n");
                return 1;
            }
        }
        struct stat st;
        if (stat(path, &st) != 0) {
            fprintf(cfg->err, "error: error reading %s: no such file or directory\n", path);
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            if (key[0]) {
                fprintf(cfg->err, "error: cannot give a key name for a directory path\n");
                return 1;
            }
            struct dirent **names;
            int n = scandir(path, &names, NULL, alphasort);
            if (n < 0) {
                fprintf(cfg->err, "error: error listing files in %s: %s\n", path, strerror(errno));
                return 1;
            }
            int rc = 0;
            for (int k = 0; k < n; k++) {
                char full[4096];
                snprintf(full, sizeof(full), "%s/%s", path, names[k]->d_name);
                struct stat fst;
                if (rc == 0 && stat(full, &fst) == 0 && S_ISREG(fst.st_mode) && valid_key(names[k]->d_name)) {
                    char *buf;
                    size_t len;
                    if (read_whole(full, &buf, &len) != 0) {
                        fprintf(cfg->err, "error: error reading %s: %s\n", full, strerror(errno));
                        rc = 1;
                    } else {
                        rc = add_entry(cfg, what, name, secret, data, binary, names[k]->d_name, buf, len);
                        free(buf);
                    }
                }
                free(names[k]);
            }
            free(names);
            if (rc)
                return 1;
            continue;
        }
        if (!key[0]) {
            const char *slash = strrchr(path, '/');
            snprintf(key, sizeof(key), "%s", slash ? slash + 1 : path);
        }
        char *buf;
        size_t len;
        int rc = read_whole(path, &buf, &len);
        if (rc != 0) {
            fprintf(cfg->err, "error: error reading %s: %s\n", path, strerror(-rc));
            return 1;
        }
        rc = add_entry(cfg, what, name, secret, data, binary, key, buf, len);
        free(buf);
        if (rc)
            return 1;
    }
    return 0;
}

int
kctl_cmd_create_configmap(struct kctl_config *cfg)
{
    const char *name = gen_name(cfg, "configmap");
    if (!name)
        return 1;
    json_t *obj = meta("ConfigMap", "v1", name), *data = json_object(), *bin = json_object();
    if (fill_sources(cfg, "ConfigMap", name, false, data, bin) != 0) {
        json_decref(obj);
        json_decref(data);
        json_decref(bin);
        return 1;
    }
    if (json_object_size(data))
        json_object_set(obj, "data", data);
    if (json_object_size(bin))
        json_object_set(obj, "binaryData", bin);
    json_decref(data);
    json_decref(bin);
    return create_generated(cfg, "configmaps", obj);
}

int
kctl_cmd_create_secret_generic(struct kctl_config *cfg)
{
    const char *name = gen_name(cfg, "secret generic");
    if (!name)
        return 1;
    json_t *obj = meta("Secret", "v1", name), *data = json_object();
    if (fill_sources(cfg, "Secret", name, true, data, NULL) != 0) {
        json_decref(obj);
        json_decref(data);
        return 1;
    }
    if (json_object_size(data))
        json_object_set(obj, "data", data);
    json_decref(data);
    if (cfg->secret_type && *cfg->secret_type)
        json_object_set_new(obj, "type", json_string(cfg->secret_type));
    return create_generated(cfg, "secrets", obj);
}

int
kctl_cmd_create_secret(struct kctl_config *cfg)
{
    fprintf(cfg->err, "error: kctl create secret needs a type: kctl create secret generic NAME [--from-literal=k=v] "
                      "[--from-file=[key=]path] (docker-registry and tls are not built)\n");
    return 1;
}

/* The container name kubectl derives from an image: the last path part without tag or digest, '_' as '-'. */
static void
image_name(const char *image, char *buf, size_t len)
{
    const char *slash = strrchr(image, '/');
    snprintf(buf, len, "%s", slash ? slash + 1 : image);
    char *p = strchr(buf, ':');
    if (p)
        *p = '\0';
    if ((p = strchr(buf, '@')))
        *p = '\0';
    /* kubectl's sanitizeAndUniquify: '_' and '.' become '-' and a random suffix keeps such names apart */
    if (strpbrk(buf, "_.")) {
        for (p = buf; *p; p++)
            if (*p == '_' || *p == '.')
                *p = '-';
        static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789"; /* utilrand's alphabet */
        unsigned char rnd[5];
        FILE *ur = fopen("/dev/urandom", "rb");
        if (!ur || fread(rnd, 1, sizeof(rnd), ur) != sizeof(rnd))
            memset(rnd, 0, sizeof(rnd));
        if (ur)
            fclose(ur);
        size_t n = strlen(buf);
        if (n + 7 <= len) {
            buf[n++] = '-';
            for (int i = 0; i < 5; i++)
                buf[n++] = alnum[rnd[i] % (sizeof(alnum) - 1)];
            buf[n] = '\0';
        }
    }
}

/* The command after "--", as a JSON array, or NULL. */
static json_t *
dash_command(struct kctl_config *cfg)
{
    if (cfg->dash < 0 || cfg->dash >= cfg->nargs)
        return NULL;
    json_t *cmd = json_array();
    for (int i = cfg->dash; i < cfg->nargs; i++)
        json_array_append_new(cmd, json_string(cfg->args[i]));
    return cmd;
}

int
kctl_cmd_create_deployment(struct kctl_config *cfg)
{
    const char *name = gen_name(cfg, "deployment");
    if (!name)
        return 1;
    if (!cfg->image || !*cfg->image) {
        fprintf(cfg->err, "error: required flag(s) \"image\" not set\n");
        return 1;
    }
    long replicas = 1, port = -1;
    char *end;
    if (cfg->replicas && ((replicas = strtol(cfg->replicas, &end, 10)) < 0 || *end)) {
        fprintf(cfg->err,
                "error: invalid argument \"%s\" for \"--replicas\" flag: strconv.ParseInt: parsing \"%s\": "
                "invalid syntax\n",
                cfg->replicas, cfg->replicas);
        return 1;
    }
    if (cfg->port && ((port = strtol(cfg->port, &end, 10)) < 0 || *end)) {
        fprintf(cfg->err,
                "error: invalid argument \"%s\" for \"--port\" flag: strconv.ParseInt: parsing \"%s\": "
                "invalid syntax\n",
                cfg->port, cfg->port);
        return 1;
    }
    char cname[256];
    image_name(cfg->image, cname, sizeof(cname));
    json_t *container = json_pack("{s:s, s:s}", "name", cname, "image", cfg->image);
    json_t *cmd = dash_command(cfg);
    if (cmd)
        json_object_set_new(container, "command", cmd);
    if (port >= 0)
        json_object_set_new(container, "ports", json_pack("[{s:I}]", "containerPort", (json_int_t)port));
    json_object_set_new(container, "resources", json_object());
    json_t *obj = meta("Deployment", "apps/v1", name);
    json_object_set_new(json_object_get(obj, "metadata"), "labels", json_pack("{s:s}", "app", name));
    json_object_set_new(obj, "spec",
                        json_pack("{s:I, s:{s:{s:s}}, s:{s:{s:{s:s}}, s:{s:[o]}}, s:{}}", "replicas",
                                  (json_int_t)replicas, "selector", "matchLabels", "app", name, "template", "metadata",
                                  "labels", "app", name, "spec", "containers", container, "strategy"));
    json_object_set_new(obj, "status", json_object());
    return create_generated(cfg, "deployments.apps", obj);
}

int
kctl_cmd_create_job(struct kctl_config *cfg)
{
    const char *name = gen_name(cfg, "job");
    if (!name)
        return 1;
    if (!cfg->image || !*cfg->image) {
        fprintf(cfg->err, "error: either --image or --from must be specified\n");
        return 1;
    }
    json_t *container = json_pack("{s:s, s:s}", "name", name, "image", cfg->image);
    json_t *cmd = dash_command(cfg);
    if (cmd)
        json_object_set_new(container, "command", cmd);
    json_object_set_new(container, "resources", json_object());
    json_t *obj = meta("Job", "batch/v1", name);
    json_object_set_new(obj, "spec",
                        json_pack("{s:{s:{}, s:{s:[o], s:s}}}", "template", "metadata", "spec", "containers", container,
                                  "restartPolicy", "Never"));
    json_object_set_new(obj, "status", json_object());
    return create_generated(cfg, "jobs.batch", obj);
}

/* ------------------------------------------------------------------------------------------ replace */

static int
absent(void *arg, const json_t *obj, char *msg, size_t len)
{
    (void)arg, (void)msg, (void)len;
    return obj ? 0 : KCTL_WAIT_DONE;
}

int
kctl_cmd_replace(struct kctl_config *cfg)
{
    if (cfg->filenames.n == 0) {
        fprintf(cfg->err, "error: must specify --filename to replace\n");
        return 1;
    }
    enum kctl_dry_run dry;
    if (kctl_dry_run_mode(cfg, &dry) != 0)
        return 1;
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    struct kctl_targets t = { 0 };
    int rc = kctl_targets_collect(c, &t, 0);
    for (size_t i = 0; i < t.n; i++) {
        const struct kctl_target *x = &t.v[i];
        char path[2048], q[512], name[600];
        kctl_target_name(x, name, sizeof(name));
        if (kctl_target_path(x, NULL, path, sizeof(path)) != 0) {
            rc = 1;
            continue;
        }
        if (cfg->force) { /* delete (waiting until it is gone), then create */
            const char *body = "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\"}";
            struct kctl_response resp;
            if (dry != KCTL_DRY_CLIENT) {
                if (kctl_request(c, "DELETE", path, "application/json", body, strlen(body), NULL, &resp) != 0) {
                    rc = 1;
                    continue;
                }
                if ((resp.status < 200 || resp.status > 299) && resp.status != 404) {
                    kctl_print_source_error(cfg, &resp, "deleting", x->src);
                    kctl_response_free(&resp);
                    rc = 1;
                    continue;
                }
                bool existed = resp.status != 404;
                kctl_response_free(&resp);
                if (existed) {
                    fprintf(cfg->out, "%s deleted\n", name);
                    if (kctl_wait_object(c, x, 168LL * 3600 * 1000, absent, NULL, 0, NULL, 0) != KCTL_WAIT_DONE) {
                        rc = 1;
                        continue;
                    }
                }
            }
            json_t *copy = json_deep_copy(x->obj);
            json_object_del(json_object_get(copy, "metadata"), "resourceVersion");
            if (create_one(c, &x->r, x->ns, copy, x->src, dry, NULL) != 0)
                rc = 1;
            json_decref(copy);
            continue;
        }
        if (!x->name[0]) {
            fprintf(cfg->err, "error: resource name may not be empty\n");
            rc = 1;
            continue;
        }
        if (dry == KCTL_DRY_CLIENT) {
            fprintf(cfg->out, "%s replaced (dry run)\n", name);
            continue;
        }
        kctl_write_query(cfg, dry, REPLACE_MANAGER, true, q, sizeof(q));
        strncat(path, q, sizeof(path) - strlen(path) - 1);
        char *body = kctl_json_go(x->obj);
        struct kctl_response resp;
        if (!body || kctl_request(c, "PUT", path, "application/json", body, strlen(body), NULL, &resp) != 0) {
            free(body);
            rc = 1;
            continue;
        }
        free(body);
        if (resp.status < 200 || resp.status > 299) {
            kctl_print_source_error(cfg, &resp, "replacing", x->src);
            rc = 1;
        } else {
            kctl_print_warnings(cfg, &resp);
            fprintf(cfg->out, "%s replaced%s\n", name, kctl_dry_run_suffix(dry));
        }
        kctl_response_free(&resp);
    }
    kctl_targets_close(&t);
    kctl_client_free(c);
    return rc;
}
