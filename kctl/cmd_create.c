/* cmd_create.c - `kctl create -f`, the generators `create namespace|configmap|secret generic|tls|docker-registry|
 * deployment|job [--from=cronjob/X]|service clusterip|nodeport|loadbalancer|serviceaccount|cronjob|ingress` (the
 * objects kubectl 1.33 builds, sent as JSON), and `kctl replace -f` (PUT; a stale resourceVersion is kubectl's 409
 * Conflict; --force deletes and creates). */
#include "kctl.h"
#include "kc_crypto.h"
#include "kc_fault.h"
#include "kc_json.h"

#include <ctype.h>
#include <dirent.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <regex.h>
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
        /* kubectl names the namespace in what it prints only when -n was given (EnforceNamespace) */
        if (ns && (dry != KCTL_DRY_CLIENT || cfg->ov.namespace))
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
    fprintf(cfg->err, "error: kctl create secret needs a type: generic, tls or docker-registry (kctl create secret "
                      "--help)\n");
    return 1;
}

/* --- create secret tls ------------------------------------------------------------------------------------- */

/* Reads a whole file for a generator, with kubectl's "Cannot read file" wording. Returns 0 or 1 (printed). */
static int
read_flag_file(struct kctl_config *cfg, const char *path, char **buf, size_t *len)
{
    int rc = read_whole(path, buf, len);
    if (rc != 0) {
        fprintf(cfg->err, "error: Cannot read file %s, open %s: %s\n", path, path,
                rc == -ENOENT ? "no such file or directory" : strerror(-rc));
        return 1;
    }
    return 0;
}

/* Counts the PEM blocks whose type is (or ends with) what: "CERTIFICATE", "PRIVATE KEY". */
static int
pem_blocks(const char *pem, size_t len, const char *what)
{
    int n = 0;
    char tag[128];
    snprintf(tag, sizeof(tag), "%s-----", what);
    for (const char *p = pem; (p = memmem(p, len - (size_t)(p - pem), "-----BEGIN ", 11)); p += 11) {
        const char *eol = memchr(p, '\n', len - (size_t)(p - pem));
        size_t l = eol ? (size_t)(eol - p) : len - (size_t)(p - pem);
        if (l && p[l - 1] == '\r')
            l--;
        if (l >= strlen(tag) && memcmp(p + l - strlen(tag), tag, strlen(tag)) == 0)
            n++;
    }
    return n;
}

/* crypto/tls.X509KeyPair's checks, with Go's messages: a certificate and a key in the right inputs that belong
 * together. Returns NULL when they are fine, else the message (static). */
static const char *
check_key_pair(const char *cert, size_t clen, const char *key, size_t klen)
{
    if (pem_blocks(cert, clen, "CERTIFICATE") == 0) {
        if (pem_blocks(cert, clen, "PRIVATE KEY") > 0)
            return "tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM "
                   "inputs may have been switched";
        return "tls: failed to find any PEM data in certificate input";
    }
    if (pem_blocks(key, klen, "PRIVATE KEY") == 0) {
        if (pem_blocks(key, klen, "CERTIFICATE") > 0)
            return "tls: found a certificate rather than a key in the PEM for the private key";
        return "tls: failed to find any PEM data in key input";
    }
    BIO *cb = BIO_new_mem_buf(cert, (int)clen), *kb = BIO_new_mem_buf(key, (int)klen);
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *pk = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    const char *why = NULL;
    if (!x)
        why = "x509: malformed certificate";
    else if (!pk)
        why = "tls: failed to parse private key";
    else if (X509_check_private_key(x, pk) != 1)
        why = "tls: private key does not match public key";
    X509_free(x);
    EVP_PKEY_free(pk);
    BIO_free(cb);
    BIO_free(kb);
    ERR_clear_error();
    return why;
}

int
kctl_cmd_create_secret_tls(struct kctl_config *cfg)
{
    const char *name = gen_name(cfg, "secret tls");
    if (!name)
        return 1;
    if (!cfg->cert || !*cfg->cert || !cfg->key || !*cfg->key) {
        fprintf(cfg->err, "error: key and cert must be specified\n");
        return 1;
    }
    char *cert = NULL, *key = NULL;
    size_t clen, klen;
    if (read_flag_file(cfg, cfg->cert, &cert, &clen) != 0 || read_flag_file(cfg, cfg->key, &key, &klen) != 0) {
        free(cert);
        return 1;
    }
    const char *why = check_key_pair(cert, clen, key, klen);
    char *c64 = why ? NULL : kc_base64_encode(cert, clen), *k64 = why ? NULL : kc_base64_encode(key, klen);
    free(cert);
    free(key);
    if (why || !c64 || !k64) {
        fprintf(cfg->err, "error: %s\n", why ? why : "out of memory");
        free(c64);
        free(k64);
        return 1;
    }
    json_t *obj = meta("Secret", "v1", name);
    json_object_set_new(obj, "data", json_pack("{s:s,s:s}", "tls.crt", c64, "tls.key", k64));
    json_object_set_new(obj, "type", json_string("kubernetes.io/tls"));
    free(c64);
    free(k64);
    return create_generated(cfg, "secrets", obj);
}

/* --- create secret docker-registry -------------------------------------------------------------------------- */

/* A JSON string as Go's json.Marshal writes it (appended to m). */
static void
go_string(FILE *m, const char *s)
{
    json_t *v = json_string(s ? s : "");
    char *text = v ? kctl_json_go(v) : NULL;
    fputs(text ? text : "\"\"", m);
    free(text);
    json_decref(v);
}

char *
kctl_dockerconfigjson(const char *server, const char *username, const char *password, const char *email)
{
    char *up = NULL, *out = NULL;
    size_t len = 0;
    if (asprintf(&up, "%s:%s", username ? username : "", password ? password : "") < 0)
        return NULL;
    char *auth = kc_base64_encode(up, strlen(up));
    free(up);
    FILE *m = auth ? open_memstream(&out, &len) : NULL;
    if (!m) {
        free(auth);
        return NULL;
    }
    /* DockerConfigJSON{Auths: {server: DockerConfigEntry{username, password, email, auth}}}: struct order,
     * omitempty */
    fputs("{\"auths\":{", m);
    go_string(m, server);
    fputs(":{", m);
    const struct {
        const char *key, *val;
    } fields[] = { { "username", username }, { "password", password }, { "email", email }, { "auth", auth } };
    bool first = true;
    for (size_t i = 0; i < 4; i++) {
        if (!fields[i].val || !*fields[i].val)
            continue;
        fprintf(m, "%s\"%s\":", first ? "" : ",", fields[i].key);
        go_string(m, fields[i].val);
        first = false;
    }
    fputs("}}}", m);
    fclose(m);
    free(auth);
    return out;
}

int
kctl_cmd_create_secret_docker_registry(struct kctl_config *cfg)
{
    const char *name = gen_name(cfg, "secret docker-registry");
    if (!name)
        return 1;
    bool creds = cfg->docker_username && *cfg->docker_username && cfg->docker_password && *cfg->docker_password;
    if (cfg->from_file.n == 0 && !creds) {
        fprintf(cfg->err, "error: either --from-file or the combination of --docker-username, --docker-password and "
                          "--docker-server is required\n");
        return 1;
    }
    json_t *obj = meta("Secret", "v1", name), *data = json_object();
    if (fill_sources(cfg, "Secret", name, true, data, NULL) != 0) {
        json_decref(obj);
        json_decref(data);
        return 1;
    }
    if (creds) {
        const char *server =
            cfg->docker_server && *cfg->docker_server ? cfg->docker_server : "https://index.docker.io/v1/";
        char *dcj = kctl_dockerconfigjson(server, cfg->docker_username, cfg->docker_password, cfg->docker_email);
        char *b64 = dcj ? kc_base64_encode(dcj, strlen(dcj)) : NULL;
        free(dcj);
        if (!b64) {
            fprintf(cfg->err, "error: out of memory\n");
            json_decref(obj);
            json_decref(data);
            return 1;
        }
        json_object_set_new(data, ".dockerconfigjson", json_string(b64));
        free(b64);
    }
    json_object_set_new(obj, "data", data);
    json_object_set_new(obj, "type", json_string("kubernetes.io/dockerconfigjson"));
    return create_generated(cfg, "secrets", obj);
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

/* createJobFromCronJob: the cron job's job template as a Job it controls, marked as made by hand. */
static int
create_job_from(struct kctl_config *cfg, const char *name)
{
    const char *slash = strchr(cfg->from, '/');
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    struct kctl_resource r;
    char type[256], path[2048];
    snprintf(type, sizeof(type), "%.*s", (int)(slash ? (size_t)(slash - cfg->from) : strlen(cfg->from)), cfg->from);
    json_t *cj = NULL;
    int rc = kctl_resolve(c, type, &r);
    if (rc == 0 && !slash) {
        /* ResourceTypeOrNameArgs with a type alone: every object of it, which is not one cron job */
        fprintf(cfg->err, "error: from must be an existing cronjob\n");
        rc = 1;
    }
    if (rc == 0)
        rc = kctl_resource_path(&r, kctl_client_namespace(c), slash + 1, NULL, path, sizeof(path)) != 0 ||
             kctl_request_json(c, "GET", path, NULL, NULL, &cj) != 0;
    kctl_client_free(c);
    if (rc != 0) {
        json_decref(cj);
        return 1;
    }
    if (strcmp(r.kind, "CronJob") != 0 || strcmp(r.group, "batch") != 0) {
        fprintf(cfg->err, "error: unknown object type *%s.%s\n", r.version, r.kind);
        json_decref(cj);
        return 1;
    }
    const json_t *tmpl = kc_json_get(cj, "spec.jobTemplate");
    json_t *ann = json_pack("{s:s}", "cronjob.kubernetes.io/instantiate", "manual");
    json_object_update(ann, kc_json_get(tmpl, "metadata.annotations"));
    json_t *obj = meta("Job", "batch/v1", name);
    json_t *md = json_object_get(obj, "metadata");
    json_object_set_new(md, "annotations", ann);
    if (kc_json_get(tmpl, "metadata.labels"))
        json_object_set_new(md, "labels", json_deep_copy(kc_json_get(tmpl, "metadata.labels")));
    json_object_set_new(md, "ownerReferences",
                        json_pack("[{s:s,s:s,s:s,s:s,s:b}]", "apiVersion", "batch/v1", "kind", "CronJob", "name",
                                  kc_json_get_string(cj, "metadata.name") ?: "", "uid",
                                  kc_json_get_string(cj, "metadata.uid") ?: "", "controller", 1));
    const json_t *spec = json_object_get(tmpl, "spec");
    json_object_set_new(obj, "spec", spec ? json_deep_copy(spec) : json_object());
    json_object_set_new(obj, "status", json_object());
    json_decref(cj);
    return create_generated(cfg, "jobs.batch", obj);
}

int
kctl_cmd_create_job(struct kctl_config *cfg)
{
    const char *name = gen_name(cfg, "job");
    if (!name)
        return 1;
    bool image = cfg->image && *cfg->image, from = cfg->from && *cfg->from;
    if (image == from) {
        fprintf(cfg->err, "error: either --image or --from must be specified\n");
        return 1;
    }
    if (from && cfg->dash >= 0 && cfg->dash < cfg->nargs) {
        fprintf(cfg->err, "error: cannot specify --from and command\n");
        return 1;
    }
    if (from)
        return create_job_from(cfg, name);
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

/* --- create service clusterip|nodeport|loadbalancer ---------------------------------------------------------- */

/* validation.IsValidPortName's first failure, or NULL. */
static const char *
port_name_error(const char *n)
{
    size_t l = strlen(n);
    bool letter = false;
    if (l > 15)
        return "must be no more than 15 characters";
    for (const char *p = n; *p; p++) {
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
            return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
        letter = letter || islower((unsigned char)*p);
    }
    if (strstr(n, "--"))
        return "must not contain consecutive hyphens";
    if (!letter)
        return "must contain at least one letter (a-z)";
    if (n[0] == '-' || (l && n[l - 1] == '-'))
        return "must not begin or end with a hyphen";
    return NULL;
}

/* parsePorts: "port" or "port:target" (target a number or a port name) into a ServicePort. Returns NULL with the
 * error printed. */
static json_t *
service_port(struct kctl_config *cfg, const char *spec, long node_port)
{
    char first[64], *end;
    const char *colon = strchr(spec, ':');
    snprintf(first, sizeof(first), "%.*s", (int)(colon ? (size_t)(colon - spec) : strlen(spec)), spec);
    errno = 0;
    unsigned long port = strtoul(first, &end, 10);
    if (!*first || *end || first[0] == '-' || first[0] == '+') {
        fprintf(cfg->err, "error: strconv.ParseUint: parsing \"%s\": invalid syntax\n", first);
        return NULL;
    }
    if (port > 65535 || errno == ERANGE) {
        fprintf(cfg->err, "error: strconv.ParseUint: parsing \"%s\": value out of range\n", first);
        return NULL;
    }
    json_t *target;
    if (!colon) {
        target = json_integer((json_int_t)port);
    } else {
        const char *t = colon + 1;
        long tn = strtol(t, &end, 10);
        if (*t && !*end) {
            if (tn < 1 || tn > 65535) {
                fprintf(cfg->err, "error: must be between 1 and 65535, inclusive\n");
                return NULL;
            }
            target = json_integer(tn);
        } else {
            const char *why = port_name_error(t);
            if (why) {
                fprintf(cfg->err, "error: %s\n", why);
                return NULL;
            }
            target = json_string(t);
        }
    }
    char name[128];
    snprintf(name, sizeof(name), "%s", spec);
    for (char *p = name; *p; p++)
        if (*p == ':')
            *p = '-';
    json_t *sp =
        json_pack("{s:s,s:s,s:I,s:o}", "name", name, "protocol", "TCP", "port", (json_int_t)port, "targetPort", target);
    if (node_port)
        json_object_set_new(sp, "nodePort", json_integer(node_port));
    return sp;
}

static int
create_service(struct kctl_config *cfg, const char *what, const char *type)
{
    const char *name = gen_name(cfg, what);
    if (!name)
        return 1;
    bool headless = cfg->cluster_ip && strcmp(cfg->cluster_ip, "None") == 0;
    if (headless && strcmp(type, "ClusterIP") != 0) {
        fprintf(cfg->err, "error: ClusterIP=None can only be used with ClusterIP service type\n");
        return 1;
    }
    if (!headless && cfg->tcp.n == 0) {
        fprintf(cfg->err, "error: at least one tcp port specifier must be provided\n");
        return 1;
    }
    long node_port = 0;
    if (cfg->node_port) {
        char *end;
        node_port = strtol(cfg->node_port, &end, 10);
        if (!*cfg->node_port || *end) {
            fprintf(cfg->err,
                    "error: invalid argument \"%s\" for \"--node-port\" flag: strconv.ParseInt: parsing \"%s\": "
                    "invalid syntax\n",
                    cfg->node_port, cfg->node_port);
            return 1;
        }
    }
    /* --tcp is a string slice: each use, and each comma-separated part of one */
    json_t *ports = json_array();
    for (int i = 0; i < cfg->tcp.n; i++) {
        char *copy = kc_strdup(cfg->tcp.v[i]);
        for (char *save = NULL, *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
            json_t *sp = service_port(cfg, t, node_port);
            if (!sp) {
                free(copy);
                json_decref(ports);
                return 1;
            }
            json_array_append_new(ports, sp);
        }
        free(copy);
    }
    json_t *obj = meta("Service", "v1", name);
    json_object_set_new(json_object_get(obj, "metadata"), "labels", json_pack("{s:s}", "app", name));
    json_t *spec = json_object();
    if (json_array_size(ports))
        json_object_set(spec, "ports", ports);
    json_decref(ports);
    json_object_set_new(spec, "selector", json_pack("{s:s}", "app", name));
    if (cfg->cluster_ip && *cfg->cluster_ip)
        json_object_set_new(spec, "clusterIP", json_string(cfg->cluster_ip));
    json_object_set_new(spec, "type", json_string(type));
    json_object_set_new(obj, "spec", spec);
    json_object_set_new(obj, "status", json_pack("{s:{}}", "loadBalancer"));
    return create_generated(cfg, "services", obj);
}

int
kctl_cmd_create_service(struct kctl_config *cfg)
{
    (void)cfg;
    fprintf(cfg->err, "error: kctl create service needs a type: clusterip, nodeport or loadbalancer (kctl create "
                      "service --help)\n");
    return 1;
}

int
kctl_cmd_create_service_clusterip(struct kctl_config *cfg)
{
    return create_service(cfg, "service clusterip", "ClusterIP");
}

int
kctl_cmd_create_service_nodeport(struct kctl_config *cfg)
{
    return create_service(cfg, "service nodeport", "NodePort");
}

int
kctl_cmd_create_service_loadbalancer(struct kctl_config *cfg)
{
    return create_service(cfg, "service loadbalancer", "LoadBalancer");
}

/* --- create serviceaccount, cronjob, ingress ---------------------------------------------------------------- */

int
kctl_cmd_create_serviceaccount(struct kctl_config *cfg)
{
    const char *name = gen_name(cfg, "serviceaccount");
    if (!name)
        return 1;
    return create_generated(cfg, "serviceaccounts", meta("ServiceAccount", "v1", name));
}

int
kctl_cmd_create_cronjob(struct kctl_config *cfg)
{
    bool image = cfg->image && *cfg->image, schedule = cfg->schedule && *cfg->schedule;
    if (!image || !schedule) {
        fprintf(cfg->err, "error: required flag(s) %s%s%s not set\n", image ? "" : "\"image\"",
                !image && !schedule ? ", " : "", schedule ? "" : "\"schedule\"");
        return 1;
    }
    const char *name = gen_name(cfg, "cronjob");
    if (!name)
        return 1;
    json_t *container = json_pack("{s:s, s:s}", "name", name, "image", cfg->image);
    json_t *cmd = dash_command(cfg);
    if (cmd)
        json_object_set_new(container, "command", cmd);
    json_object_set_new(container, "resources", json_object());
    json_t *obj = meta("CronJob", "batch/v1", name);
    json_object_set_new(obj, "spec",
                        json_pack("{s:s, s:{s:{s:s}, s:{s:{s:{}, s:{s:[o], s:s}}}}}", "schedule", cfg->schedule,
                                  "jobTemplate", "metadata", "name", name, "spec", "template", "metadata", "spec",
                                  "containers", container, "restartPolicy",
                                  cfg->restart && *cfg->restart ? cfg->restart : "OnFailure"));
    json_object_set_new(obj, "status", json_object());
    return create_generated(cfg, "cronjobs.batch", obj);
}

/* buildIngressBackendSvc: "svc:port" (port a number or a name). */
static json_t *
ingress_backend(const char *svc)
{
    const char *colon = strchr(svc, ':');
    char name[256], port[256];
    snprintf(name, sizeof(name), "%.*s", (int)(colon ? (size_t)(colon - svc) : strlen(svc)), svc);
    snprintf(port, sizeof(port), "%.*s", colon ? (int)strcspn(colon + 1, ":") : 0, colon ? colon + 1 : "");
    char *end;
    long n = strtol(port, &end, 10);
    /* intstr.Parse: a number when it parses as one */
    json_t *p = *port && !*end ? json_pack("{s:I}", "number", (json_int_t)n) : json_pack("{s:s}", "name", port);
    return json_pack("{s:{s:s,s:o}}", "service", "name", name, "port", p);
}

int
kctl_cmd_create_ingress(struct kctl_config *cfg)
{
    const char *name = gen_name(cfg, "ingress");
    if (!name)
        return 1;
    if (!(cfg->default_backend && *cfg->default_backend) && cfg->rules.n == 0) {
        fprintf(cfg->err, "error: not enough information provided: every ingress has to either specify a "
                          "default-backend (which catches all traffic) or a list of rules (which catch specific "
                          "paths)\n");
        return 1;
    }
    /* kubectl's ruleRegex, which only has to match a prefix of the rule */
    regex_t re;
    if (regcomp(&re, "^[A-Za-z0-9_*.-]*/.*=[A-Za-z0-9_-]+:[A-Za-z0-9_-]+", REG_EXTENDED | REG_NOSUB) != 0) {
        fprintf(cfg->err, "error: failed to compile the regex\n");
        return 1;
    }
    for (int i = 0; i < cfg->rules.n; i++) {
        if (regexec(&re, cfg->rules.v[i], 0, NULL, 0) != 0) {
            fprintf(cfg->err,
                    "error: rule %s is invalid and should be in format host/path=svcname:svcport[,tls[=secret]]\n",
                    cfg->rules.v[i]);
            regfree(&re);
            return 1;
        }
    }
    regfree(&re);
    for (int i = 0; i < cfg->annotations.n; i++) {
        if (!strchr(cfg->annotations.v[i], '=')) {
            fprintf(cfg->err, "error: annotation %s is invalid and should be in format key=[value]\n",
                    cfg->annotations.v[i]);
            return 1;
        }
    }
    if (cfg->default_backend && *cfg->default_backend) {
        const char *c1 = strchr(cfg->default_backend, ':');
        if (!c1 || strchr(c1 + 1, ':')) {
            fprintf(cfg->err, "error: default-backend should be in format servicename:serviceport\n");
            return 1;
        }
    }
    json_t *obj = meta("Ingress", "networking.k8s.io/v1", name);
    if (cfg->annotations.n) {
        json_t *ann = json_object();
        for (int i = 0; i < cfg->annotations.n; i++) {
            const char *eq = strchr(cfg->annotations.v[i], '=');
            char key[512];
            snprintf(key, sizeof(key), "%.*s", (int)(eq - cfg->annotations.v[i]), cfg->annotations.v[i]);
            json_object_set_new(ann, key, json_string(eq + 1));
        }
        json_object_set_new(json_object_get(obj, "metadata"), "annotations", ann);
    }
    json_t *spec = json_object();
    if (cfg->ingress_class && *cfg->ingress_class)
        json_object_set_new(spec, "ingressClassName", json_string(cfg->ingress_class));
    if (cfg->default_backend && *cfg->default_backend)
        json_object_set_new(spec, "defaultBackend", ingress_backend(cfg->default_backend));
    /* buildTLSRules: rules with exactly one ",tls[=secret]"; a host once; hosts of one secret together */
    json_t *tls = json_array(), *seen = json_object();
    for (int i = 0; i < cfg->rules.n; i++) {
        const char *rule = cfg->rules.v[i], *comma = strchr(rule, ',');
        if (!comma || strchr(comma + 1, ','))
            continue;
        char host[512], secret[512] = "";
        snprintf(host, sizeof(host), "%.*s", (int)strcspn(rule, "/"), rule);
        const char *eq = strchr(comma + 1, '=');
        if (eq)
            snprintf(secret, sizeof(secret), "%.*s", (int)strcspn(eq + 1, "="), eq + 1);
        if (json_object_get(seen, host))
            continue;
        json_object_set_new(seen, host, json_true());
        json_t *same = NULL;
        size_t k;
        json_t *t;
        json_array_foreach(tls, k, t)
        {
            const char *sn = json_string_value(json_object_get(t, "secretName"));
            if (!same && strcmp(sn ? sn : "", secret) == 0)
                same = t;
        }
        if (same) {
            json_t *hosts = json_object_get(same, "hosts");
            if (!hosts)
                json_object_set_new(same, "hosts", hosts = json_array());
            json_array_append_new(hosts, json_string(host));
            continue;
        }
        json_t *entry = json_object();
        if (*host)
            json_object_set_new(entry, "hosts", json_pack("[s]", host));
        if (*secret)
            json_object_set_new(entry, "secretName", json_string(secret));
        if (json_object_size(entry))
            json_array_append(tls, entry);
        json_decref(entry);
    }
    json_decref(seen);
    if (json_array_size(tls))
        json_object_set(spec, "tls", tls);
    json_decref(tls);
    /* buildIngressRules: one rule per host, its paths in order; "path*" is a Prefix path */
    json_t *rules = json_array();
    for (int i = 0; i < cfg->rules.n; i++) {
        char rule[2048];
        snprintf(rule, sizeof(rule), "%.*s", (int)strcspn(cfg->rules.v[i], ","), cfg->rules.v[i]);
        char *slash = strchr(rule, '/');
        *slash = '\0';
        const char *host = rule, *rest = slash + 1;
        char path[1024], svc[1024];
        const char *eq = strchr(rest, '=');
        snprintf(path, sizeof(path), "/%.*s", (int)(eq - rest), rest);
        snprintf(svc, sizeof(svc), "%.*s", (int)strcspn(eq + 1, "="), eq + 1);
        const char *ptype = "Exact";
        size_t pl = strlen(path);
        if (path[pl - 1] == '*') {
            ptype = "Prefix";
            path[pl - 1] = '\0';
        }
        json_t *hp = json_pack("{s:s,s:s,s:o}", "path", path, "pathType", ptype, "backend", ingress_backend(svc));
        json_t *found = NULL;
        size_t k;
        json_t *r;
        json_array_foreach(rules, k, r)
        {
            const char *h = json_string_value(json_object_get(r, "host"));
            if (!found && strcmp(h ? h : "", host) == 0)
                found = r;
        }
        if (found) {
            json_array_append_new(json_object_get(json_object_get(found, "http"), "paths"), hp);
            continue;
        }
        json_t *nr = json_pack("{s:{s:[o]}}", "http", "paths", hp);
        if (*host)
            json_object_set_new(nr, "host", json_string(host));
        json_array_append_new(rules, nr);
    }
    if (json_array_size(rules))
        json_object_set(spec, "rules", rules);
    json_decref(rules);
    json_object_set_new(obj, "spec", spec);
    json_object_set_new(obj, "status", json_pack("{s:{}}", "loadBalancer"));
    return create_generated(cfg, "ingresses.networking.k8s.io", obj);
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
