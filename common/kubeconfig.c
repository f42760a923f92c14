/* kubeconfig.c - loading, merging and resolving kubeconfig files with client-go clientcmd's rules, and the
 * redacted `config view` rendering. Files are parsed with kc_yaml; each named entry keeps its JSON and the
 * directory of the file it came from, so relative paths resolve the way kubectl resolves them.
 */
#include "kc_kubeconfig.h"
#include "kc_crypto.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_yaml.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KUBECONFIG_MAX_FILE (64u << 20) /* refuse absurd files rather than reading them whole */

enum section { SEC_CLUSTERS, SEC_USERS, SEC_CONTEXTS, SEC_N };

static const struct section_info {
    const char *list;  /* top-level key */
    const char *inner; /* key of the entry's body */
    const char *what;  /* for messages */
} sections[SEC_N] = {
    { "clusters", "cluster", "cluster" },
    { "users", "user", "user" },
    { "contexts", "context", "context" },
};

struct entry {
    char *name;
    json_t *body; /* the cluster/user/context object as written (never NULL) */
    char *dir;    /* absolute directory of the file that defined it */
};

struct kc_kubeconfig {
    struct entry *entries[SEC_N];
    size_t n[SEC_N], cap[SEC_N];
    char *current_context; /* NULL when unset */
};

/* Field tables: the fields kubectl knows, in the order `kubectl config view -o json` prints them. */
enum ftype { F_STR, F_BOOL, F_DATA, F_ANY, F_EXEC };

struct field {
    const char *key;
    enum ftype type;
    const char *redact; /* replacement when not raw, or NULL */
};

static const struct field cluster_fields[] = {
    { "server", F_STR, NULL },
    { "tls-server-name", F_STR, NULL },
    { "insecure-skip-tls-verify", F_BOOL, NULL },
    { "certificate-authority", F_STR, NULL },
    { "certificate-authority-data", F_DATA, "DATA+OMITTED" },
    { "proxy-url", F_STR, NULL },
    { "disable-compression", F_BOOL, NULL },
    { "extensions", F_ANY, NULL },
    { NULL, F_ANY, NULL },
};

static const struct field user_fields[] = {
    { "client-certificate", F_STR, NULL },
    { "client-certificate-data", F_DATA, "DATA+OMITTED" },
    { "client-key", F_STR, NULL },
    { "client-key-data", F_DATA, "DATA+OMITTED" },
    { "token", F_STR, "REDACTED" },
    { "tokenFile", F_STR, NULL },
    { "as", F_STR, NULL },
    { "as-uid", F_STR, NULL },
    { "as-groups", F_ANY, NULL },
    { "as-user-extra", F_ANY, NULL },
    { "username", F_STR, NULL },
    { "password", F_STR, "REDACTED" },
    { "auth-provider", F_ANY, NULL },
    { "exec", F_EXEC, NULL },
    { "extensions", F_ANY, NULL },
    { NULL, F_ANY, NULL },
};

static const struct field context_fields[] = {
    { "cluster", F_STR, NULL },    { "user", F_STR, NULL }, { "namespace", F_STR, NULL },
    { "extensions", F_ANY, NULL }, { NULL, F_ANY, NULL },
};

static const struct field *const section_fields[SEC_N] = { cluster_fields, user_fields, context_fields };

static int fail(char *errbuf, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Writes the message (when errbuf is given) and returns rc. */
static int
fail(char *errbuf, size_t errlen, int rc, const char *fmt, ...)
{
    if (errbuf && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* ---------------------------------------------------------------------------------------------------------
 * Paths. */

/* Lexically cleans an absolute path like Go's filepath.Clean: no ".", "..", or repeated slashes. The write
 * position never passes the read position, so it works in place. */
static void
path_clean(char *p)
{
    char *w = p + 1;
    const char *r = p + 1;

    if (*p != '/')
        return;
    while (*r) {
        while (*r == '/')
            r++;
        if (!*r)
            break;
        const char *seg = r;
        while (*r && *r != '/')
            r++;
        size_t len = (size_t)(r - seg);
        if (len == 1 && seg[0] == '.')
            continue;
        if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            if (w > p + 1) {
                w--;
                while (w > p + 1 && w[-1] != '/')
                    w--;
                if (w > p + 1)
                    w--;
            }
            continue;
        }
        if (w > p + 1)
            *w++ = '/';
        memmove(w, seg, len);
        w += len;
    }
    *w = '\0';
}

/* The absolute, cleaned join of dir and rel (rel itself when absolute). Returns malloc'ed or NULL. */
static char *
path_resolve(const char *dir, const char *rel)
{
    char *p;
    if (rel[0] == '/')
        p = kc_strdup(rel);
    else if (asprintf(&p, "%s/%s", dir, rel) < 0)
        p = NULL;
    if (p)
        path_clean(p);
    return p;
}

/* The absolute directory of a file path, as filepath.Abs(filepath.Dir(path)). */
static char *
file_dir(const char *path)
{
    char *abs;
    if (path[0] == '/') {
        abs = kc_strdup(path);
    } else {
        char cwd[4096];
        if (!getcwd(cwd, sizeof(cwd)))
            return NULL;
        if (asprintf(&abs, "%s/%s", cwd, path) < 0)
            abs = NULL;
    }
    if (!abs)
        return NULL;
    path_clean(abs);
    char *slash = strrchr(abs, '/');
    if (slash == abs)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    return abs;
}

/* Reads a whole file into a malloc'ed, NUL-terminated buffer. Returns 0 or -errno. */
static int
read_file(const char *path, char **out, size_t *outlen)
{
    int fd = kc_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return -EISDIR;
    }
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, len = 0;
    char *buf = kc_malloc(cap);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    for (;;) {
        if (len + 1 >= cap) {
            if (cap >= KUBECONFIG_MAX_FILE) {
                free(buf);
                close(fd);
                return -EFBIG;
            }
            char *nb = kc_realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                close(fd);
                return -ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = kc_read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = -errno;
            free(buf);
            close(fd);
            return e;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------
 * base64 with Go's tolerance for line breaks. */

/* Decodes a *-data field: standard base64, '\r' and '\n' ignored as Go's decoder ignores them. On invalid
 * input returns KC_EINVALID and the offset Go would report in *bad. */
static int
data_decode(const char *text, size_t len, uint8_t **out, size_t *outlen, size_t *bad)
{
    char *clean = kc_malloc(len + 1);
    size_t k = 0;
    if (!clean)
        return -ENOMEM;
    *bad = len;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (ch == '\r' || ch == '\n')
            continue;
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' ||
                  ch == '/' || ch == '=';
        if (!ok && *bad == len)
            *bad = i;
        clean[k++] = ch;
    }
    int rc = kc_base64_decode(clean, k, out, outlen);
    free(clean);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------------
 * Loading. */

static struct kc_kubeconfig *
config_new(void)
{
    return kc_calloc(1, sizeof(struct kc_kubeconfig));
}

void
kc_kubeconfig_free(struct kc_kubeconfig *kc)
{
    if (!kc)
        return;
    for (int s = 0; s < SEC_N; s++) {
        for (size_t i = 0; i < kc->n[s]; i++) {
            free(kc->entries[s][i].name);
            json_decref(kc->entries[s][i].body);
            free(kc->entries[s][i].dir);
        }
        free(kc->entries[s]);
    }
    free(kc->current_context);
    free(kc);
}

const char *
kc_kubeconfig_current_context(const struct kc_kubeconfig *kc)
{
    return kc ? kc->current_context : NULL;
}

static struct entry *
find_entry(const struct kc_kubeconfig *kc, enum section s, const char *name)
{
    for (size_t i = 0; i < kc->n[s]; i++)
        if (strcmp(kc->entries[s][i].name, name) == 0)
            return &kc->entries[s][i];
    return NULL;
}

/* Checks the known fields of one entry body: types, and that *-data decodes. */
static int
check_body(enum section s, const json_t *body, const char *path, size_t idx, const char *name, char *errbuf,
           size_t errlen)
{
    for (const struct field *f = section_fields[s]; f->key; f++) {
        json_t *v = json_object_get(body, f->key);
        if (!v || json_is_null(v))
            continue;
        const char *want = NULL;
        if ((f->type == F_STR || f->type == F_DATA) && !json_is_string(v))
            want = "a string";
        else if (f->type == F_BOOL && !json_is_boolean(v))
            want = "a boolean";
        else if (f->type == F_EXEC && !json_is_object(v))
            want = "an object";
        if (want)
            return fail(errbuf, errlen, KC_EINVALID, "error loading config file \"%s\": %s[%zu].%s.%s must be %s", path,
                        sections[s].list, idx, sections[s].inner, f->key, want);
        if (f->type == F_DATA) {
            uint8_t *bytes = NULL;
            size_t blen, bad;
            int rc = data_decode(json_string_value(v), json_string_length(v), &bytes, &blen, &bad);
            free(bytes);
            if (rc == -ENOMEM)
                return fail(errbuf, errlen, rc, "out of memory");
            if (rc)
                return fail(errbuf, errlen, KC_EINVALID,
                            "error loading config file \"%s\": invalid %s for %s \"%s\": illegal base64 data at "
                            "input byte %zu",
                            path, f->key, sections[s].what, name, bad);
        }
    }
    return 0;
}

static int
add_entry(struct kc_kubeconfig *kc, enum section s, const char *name, const json_t *body, const char *dir)
{
    if (kc->n[s] == kc->cap[s]) {
        size_t cap = kc->cap[s] ? kc->cap[s] * 2 : 8;
        struct entry *e = kc_realloc(kc->entries[s], cap * sizeof(*e));
        if (!e)
            return -ENOMEM;
        kc->entries[s] = e;
        kc->cap[s] = cap;
    }
    struct entry *e = &kc->entries[s][kc->n[s]];
    e->name = kc_strdup(name);
    e->body = body ? json_deep_copy(body) : json_object();
    e->dir = kc_strdup(dir);
    if (!e->name || !e->body || !e->dir) {
        free(e->name);
        json_decref(e->body);
        free(e->dir);
        return -ENOMEM;
    }
    kc->n[s]++;
    return 0;
}

/* Merges one parsed file into kc: names already known (from an earlier file) are kept. */
static int
merge_file(struct kc_kubeconfig *kc, const char *path, const json_t *doc, char *errbuf, size_t errlen)
{
    int rc = 0;

    if (json_is_null(doc))
        return 0;
    if (!json_is_object(doc))
        return fail(errbuf, errlen, KC_EINVALID, "error loading config file \"%s\": not a Config object", path);
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    const char *apiv = json_string_value(json_object_get(doc, "apiVersion"));
    if ((kind && *kind && strcmp(kind, "Config") != 0) || (apiv && *apiv && strcmp(apiv, "v1") != 0))
        return fail(errbuf, errlen, KC_EINVALID,
                    "error loading config file \"%s\": no kind \"%s\" is registered for version \"%s\"", path,
                    kind ? kind : "", apiv ? apiv : "");
    json_t *cur = json_object_get(doc, "current-context");
    if (cur && !json_is_null(cur) && !json_is_string(cur))
        return fail(errbuf, errlen, KC_EINVALID, "error loading config file \"%s\": current-context must be a string",
                    path);

    char *dir = file_dir(path);
    if (!dir)
        return fail(errbuf, errlen, -ENOMEM, "out of memory");

    /* Validate the whole file before taking anything from it. */
    for (int s = 0; s < SEC_N && rc == 0; s++) {
        json_t *list = json_object_get(doc, sections[s].list);
        if (!list || json_is_null(list))
            continue;
        if (!json_is_array(list)) {
            rc = fail(errbuf, errlen, KC_EINVALID, "error loading config file \"%s\": %s must be a list", path,
                      sections[s].list);
            break;
        }
        for (size_t i = 0; i < json_array_size(list) && rc == 0; i++) {
            json_t *item = json_array_get(list, i);
            json_t *jname = json_object_get(item, "name");
            json_t *body = json_object_get(item, sections[s].inner);
            if (!json_is_object(item) || (jname && !json_is_string(jname)) ||
                (body && !json_is_null(body) && !json_is_object(body))) {
                rc = fail(errbuf, errlen, KC_EINVALID,
                          "error loading config file \"%s\": %s[%zu] must be {name: string, %s: object}", path,
                          sections[s].list, i, sections[s].inner);
                break;
            }
            const char *name = jname ? json_string_value(jname) : "";
            for (size_t j = 0; j < i; j++) {
                const char *other = json_string_value(json_object_get(json_array_get(list, j), "name"));
                if (strcmp(other ? other : "", name) == 0) {
                    rc = fail(errbuf, errlen, KC_EINVALID,
                              "error loading config file \"%s\": duplicate name \"%s\" in %s", path, name,
                              sections[s].list);
                    break;
                }
            }
            if (rc == 0 && json_is_object(body))
                rc = check_body((enum section)s, body, path, i, name, errbuf, errlen);
        }
    }
    for (int s = 0; s < SEC_N && rc == 0; s++) {
        json_t *list = json_object_get(doc, sections[s].list);
        for (size_t i = 0; i < json_array_size(list) && rc == 0; i++) {
            json_t *item = json_array_get(list, i);
            const char *name = json_string_value(json_object_get(item, "name"));
            json_t *body = json_object_get(item, sections[s].inner);
            if (!name)
                name = "";
            if (find_entry(kc, (enum section)s, name))
                continue; /* the first file that defines a name wins */
            if (add_entry(kc, (enum section)s, name, json_is_object(body) ? body : NULL, dir) != 0)
                rc = fail(errbuf, errlen, -ENOMEM, "out of memory");
        }
    }
    if (rc == 0 && !kc->current_context && json_string_length(cur) > 0) {
        kc->current_context = kc_strdup(json_string_value(cur));
        if (!kc->current_context)
            rc = fail(errbuf, errlen, -ENOMEM, "out of memory");
    }
    free(dir);
    return rc;
}

/* Loads and merges one file. A missing file is skipped unless must_exist. */
static int
load_one(struct kc_kubeconfig *kc, const char *path, bool must_exist, char *errbuf, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len);

    if (rc == -ENOENT && !must_exist)
        return 0;
    if (rc == -ENOENT)
        return fail(errbuf, errlen, rc, "stat %s: %s", path, strerror(ENOENT));
    if (rc)
        return fail(errbuf, errlen, rc, "error loading config file \"%s\": %s", path, strerror(-rc));

    json_t *doc = NULL;
    struct kc_yaml_error yerr;
    rc = kc_yaml_load_one(buf, len, &doc, &yerr);
    free(buf);
    if (rc)
        return fail(errbuf, errlen, rc, "error loading config file \"%s\": %s", path, yerr.message);
    rc = merge_file(kc, path, doc, errbuf, errlen);
    json_decref(doc);
    return rc;
}

int
kc_kubeconfig_load_files(const char *const *paths, size_t npaths, bool must_exist, struct kc_kubeconfig **out,
                         char *errbuf, size_t errlen)
{
    struct kc_kubeconfig *kc = config_new();
    if (!kc)
        return fail(errbuf, errlen, -ENOMEM, "out of memory");
    for (size_t i = 0; i < npaths; i++) {
        if (!paths[i] || !*paths[i])
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = paths[j] && strcmp(paths[j], paths[i]) == 0;
        if (seen)
            continue;
        int rc = load_one(kc, paths[i], must_exist, errbuf, errlen);
        if (rc) {
            kc_kubeconfig_free(kc);
            return rc;
        }
    }
    *out = kc;
    return 0;
}

int
kc_kubeconfig_load(const char *explicit_path, struct kc_kubeconfig **out, char *errbuf, size_t errlen)
{
    if (explicit_path && *explicit_path)
        return kc_kubeconfig_load_files(&explicit_path, 1, true, out, errbuf, errlen);

    const char *env = getenv("KUBECONFIG");
    if (env && *env) {
        char *copy = kc_strdup(env);
        const char **paths = kc_calloc(strlen(env) / 2 + 2, sizeof(*paths));
        size_t n = 0;
        if (!copy || !paths) {
            free(copy);
            free(paths);
            return fail(errbuf, errlen, -ENOMEM, "out of memory");
        }
        for (char *save = NULL, *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save))
            paths[n++] = tok;
        int rc = kc_kubeconfig_load_files(paths, n, false, out, errbuf, errlen);
        free(paths);
        free(copy);
        return rc;
    }

    const char *home = getenv("HOME");
    if (home && *home) {
        char *path;
        if (asprintf(&path, "%s/.kube/config", home) < 0)
            return fail(errbuf, errlen, -ENOMEM, "out of memory");
        const char *p = path;
        int rc = kc_kubeconfig_load_files(&p, 1, false, out, errbuf, errlen);
        free(path);
        return rc;
    }
    return kc_kubeconfig_load_files(NULL, 0, false, out, errbuf, errlen);
}

/* ---------------------------------------------------------------------------------------------------------
 * Resolving. */

static const char *
body_str(const struct entry *e, const char *key)
{
    const char *s = e ? json_string_value(json_object_get(e->body, key)) : NULL;
    return s && *s ? s : NULL;
}

static bool
body_bool(const struct entry *e, const char *key)
{
    return e && json_is_true(json_object_get(e->body, key));
}

void
kc_kubeconfig_client_close(struct kc_kubeconfig_client *c)
{
    if (!c)
        return;
    if (c->key_pem)
        explicit_bzero(c->key_pem, c->key_pem_len);
    if (c->token)
        explicit_bzero(c->token, strlen(c->token));
    if (c->password)
        explicit_bzero(c->password, strlen(c->password));
    free(c->context);
    free(c->cluster);
    free(c->user);
    free(c->server);
    free(c->tls_server_name);
    free(c->ca_pem);
    free(c->cert_pem);
    free(c->key_pem);
    free(c->token);
    free(c->username);
    free(c->password);
    free(c->namespace);
    memset(c, 0, sizeof(*c));
}

/* Copies s (NULL stays NULL) into *dst; returns false on allocation failure. */
static bool
set_str(char **dst, const char *s)
{
    if (!s) {
        *dst = NULL;
        return true;
    }
    *dst = kc_strdup(s);
    return *dst != NULL;
}

/* Reads a file named by the kubeconfig (path already resolved) for field `what` of `owner`. */
static int
read_named(const char *path, const char *what, const char *owner, char **out, size_t *outlen, char *errbuf,
           size_t errlen)
{
    int rc = read_file(path, out, outlen);
    if (rc == -ENOMEM)
        return fail(errbuf, errlen, rc, "out of memory");
    if (rc)
        return fail(errbuf, errlen, rc, "unable to read %s %s for %s due to open %s: %s", what, path, owner, path,
                    strerror(-rc));
    return 0;
}

/* Decodes a *-data field into a NUL-terminated buffer (validated at load time). */
static int
take_data(const struct entry *e, const char *key, char **out, size_t *outlen)
{
    json_t *v = json_object_get(e->body, key);
    uint8_t *bytes;
    size_t blen, bad;
    int rc = data_decode(json_string_value(v), json_string_length(v), &bytes, &blen, &bad);
    if (rc)
        return rc;
    *out = (char *)bytes;
    *outlen = blen;
    return 0;
}

/* A path field of an entry resolved against its file's directory, or the override as given. */
static char *
entry_path(const struct entry *e, const char *key)
{
    const char *p = body_str(e, key);
    return p ? path_resolve(e->dir, p) : NULL;
}

/* Trims ASCII whitespace at both ends in place, as strings.TrimSpace would for a token file. */
static void
trim(char *s)
{
    size_t n = strlen(s), i = 0;
    while (n > 0 && strchr(" \t\r\n\v\f", s[n - 1]))
        s[--n] = '\0';
    while (s[i] && strchr(" \t\r\n\v\f", s[i]))
        i++;
    memmove(s, s + i, n - i + 1);
}

struct pick {
    const char *context;
    const struct entry *ctx, *cluster, *user;
    const char *cluster_name, *user_name;
};

static int
resolve_tls(const struct pick *pk, const struct kc_kubeconfig_overrides *ov, struct kc_kubeconfig_client *out,
            char *errbuf, size_t errlen)
{
    const struct entry *cl = pk->cluster;
    const char *cname = pk->cluster_name;
    int rc;

    /* CA: an override file replaces any CA data; --insecure-skip-tls-verify alone drops the CA. */
    char *ca_file = NULL;
    bool ca_data = false;
    if (ov->certificate_authority) {
        ca_file = kc_strdup(ov->certificate_authority);
        if (!ca_file)
            return fail(errbuf, errlen, -ENOMEM, "out of memory");
    } else if (!ov->insecure_skip_tls_verify) {
        ca_file = entry_path(cl, "certificate-authority");
        ca_data = body_str(cl, "certificate-authority-data") != NULL;
        if (body_str(cl, "certificate-authority") && !ca_file)
            return fail(errbuf, errlen, -ENOMEM, "out of memory");
    }
    out->insecure = ov->insecure_skip_tls_verify || body_bool(cl, "insecure-skip-tls-verify");
    if (ca_file && ca_data) {
        free(ca_file);
        return fail(errbuf, errlen, KC_EINVALID,
                    "certificate-authority-data and certificate-authority are both specified for %s. "
                    "certificate-authority-data will override.",
                    cname);
    }
    if (out->insecure && (ca_file || ca_data)) {
        free(ca_file);
        return fail(errbuf, errlen, KC_EINVALID,
                    "specifying a root certificates file with the insecure flag is not allowed");
    }
    if (ca_file) {
        rc = read_named(ca_file, "certificate-authority", cname, &out->ca_pem, &out->ca_pem_len, errbuf, errlen);
        free(ca_file);
        if (rc)
            return rc;
    } else if (ca_data && (rc = take_data(cl, "certificate-authority-data", &out->ca_pem, &out->ca_pem_len))) {
        return fail(errbuf, errlen, rc, "out of memory");
    }
    return 0;
}

static int
resolve_user(const struct pick *pk, const struct kc_kubeconfig_overrides *ov, struct kc_kubeconfig_client *out,
             char *errbuf, size_t errlen)
{
    const struct entry *u = pk->user;
    const char *uname = pk->user_name;
    int rc = 0;

    /* Client certificate and key: override files replace the user's files and data. */
    char *cert_file = ov->client_certificate ? kc_strdup(ov->client_certificate) : entry_path(u, "client-certificate");
    char *key_file = ov->client_key ? kc_strdup(ov->client_key) : entry_path(u, "client-key");
    bool cert_data = !ov->client_certificate && body_str(u, "client-certificate-data");
    bool key_data = !ov->client_key && body_str(u, "client-key-data");
    const char *token = ov->token ? ov->token : body_str(u, "token");
    char *token_file = token ? NULL : entry_path(u, "tokenFile");
    const char *username = ov->username ? ov->username : body_str(u, "username");
    const char *password = ov->password ? ov->password : body_str(u, "password");

    if ((!cert_file && (ov->client_certificate || body_str(u, "client-certificate"))) ||
        (!key_file && (ov->client_key || body_str(u, "client-key"))) ||
        (!token && !token_file && body_str(u, "tokenFile"))) {
        rc = fail(errbuf, errlen, -ENOMEM, "out of memory");
        goto out;
    }
    if (cert_file || cert_data) {
        if (cert_file && cert_data) {
            rc = fail(errbuf, errlen, KC_EINVALID,
                      "client-cert-data and client-cert are both specified for %s. client-cert-data will override.",
                      uname);
            goto out;
        }
        if (key_file && key_data) {
            rc = fail(errbuf, errlen, KC_EINVALID,
                      "client-key-data and client-key are both specified for %s; client-key-data will override", uname);
            goto out;
        }
        if (!key_file && !key_data) {
            rc = fail(errbuf, errlen, KC_EINVALID,
                      "client-key-data or client-key must be specified for %s to use the clientCert "
                      "authentication method.",
                      uname);
            goto out;
        }
    }
    if (token && (username || password)) {
        rc = fail(errbuf, errlen, KC_EINVALID,
                  "more than one authentication method found for %s; found [token basicAuth], only one is allowed",
                  uname);
        goto out;
    }
    if (cert_file || cert_data) {
        if (cert_file)
            rc = read_named(cert_file, "client-cert", uname, &out->cert_pem, &out->cert_pem_len, errbuf, errlen);
        else if ((rc = take_data(u, "client-certificate-data", &out->cert_pem, &out->cert_pem_len)) != 0)
            rc = fail(errbuf, errlen, rc, "out of memory");
        if (rc)
            goto out;
        if (key_file)
            rc = read_named(key_file, "client-key", uname, &out->key_pem, &out->key_pem_len, errbuf, errlen);
        else if ((rc = take_data(u, "client-key-data", &out->key_pem, &out->key_pem_len)) != 0)
            rc = fail(errbuf, errlen, rc, "out of memory");
        if (rc)
            goto out;
    }
    if (token) {
        if (!set_str(&out->token, token)) {
            rc = fail(errbuf, errlen, -ENOMEM, "out of memory");
            goto out;
        }
    } else if (token_file) {
        size_t tlen;
        rc = read_file(token_file, &out->token, &tlen);
        if (rc == -ENOMEM) {
            rc = fail(errbuf, errlen, rc, "out of memory");
            goto out;
        }
        if (rc) {
            rc = fail(errbuf, errlen, rc, "failed to read token file \"%s\": open %s: %s", token_file, token_file,
                      strerror(-rc));
            goto out;
        }
        trim(out->token);
        if (!*out->token) {
            rc = fail(errbuf, errlen, -EINVAL, "read empty token from file \"%s\"", token_file);
            goto out;
        }
    }
    if (!set_str(&out->username, username) || !set_str(&out->password, password)) {
        rc = fail(errbuf, errlen, -ENOMEM, "out of memory");
        goto out;
    }
    if (!out->token && !out->cert_pem && !out->username && u &&
        (json_object_get(u->body, "exec") || json_object_get(u->body, "auth-provider")))
        rc = fail(errbuf, errlen, KC_ENOTIMPL, "user \"%s\" authenticates through an %s plugin, which is not supported",
                  uname, json_object_get(u->body, "exec") ? "exec" : "auth-provider");
out:
    free(cert_file);
    free(key_file);
    free(token_file);
    return rc;
}

int
kc_kubeconfig_resolve(const struct kc_kubeconfig *kc, const struct kc_kubeconfig_overrides *ov,
                      struct kc_kubeconfig_client *out, char *errbuf, size_t errlen)
{
    static const struct kc_kubeconfig_overrides none;
    struct kc_kubeconfig_client c = { 0 };
    struct pick pk = { 0 };
    int rc;

    memset(out, 0, sizeof(*out));
    if (!ov)
        ov = &none;

    pk.context = ov->context ? ov->context : kc->current_context;
    if (pk.context) {
        pk.ctx = find_entry(kc, SEC_CONTEXTS, pk.context);
        if (!pk.ctx) {
            if (ov->context)
                return fail(errbuf, errlen, KC_ENOTFOUND, "context \"%s\" does not exist", pk.context);
            return fail(errbuf, errlen, KC_ENOTFOUND, "context was not found for specified context: %s", pk.context);
        }
    }
    pk.cluster_name = ov->cluster ? ov->cluster : body_str(pk.ctx, "cluster");
    pk.user_name = ov->user ? ov->user : body_str(pk.ctx, "user");
    if (pk.cluster_name) {
        pk.cluster = find_entry(kc, SEC_CLUSTERS, pk.cluster_name);
        if (!pk.cluster && ov->cluster)
            return fail(errbuf, errlen, KC_ENOTFOUND, "cluster \"%s\" does not exist", pk.cluster_name);
    }
    if (pk.user_name) {
        pk.user = find_entry(kc, SEC_USERS, pk.user_name);
        if (!pk.user && ov->user)
            return fail(errbuf, errlen, KC_ENOTFOUND, "auth info \"%s\" does not exist", pk.user_name);
    }
    if (!pk.cluster_name)
        pk.cluster_name = "";
    if (!pk.user_name)
        pk.user_name = "";

    const char *server = ov->server ? ov->server : body_str(pk.cluster, "server");
    if (!server) {
        if (!pk.ctx && !pk.cluster && !ov->cluster)
            return fail(errbuf, errlen, KC_EINVALID,
                        "invalid configuration: no configuration has been provided (no current-context and no "
                        "server)");
        if (!*pk.cluster_name)
            return fail(errbuf, errlen, KC_EINVALID, "default cluster has no server defined");
        return fail(errbuf, errlen, KC_EINVALID, "no server found for cluster \"%s\"", pk.cluster_name);
    }
    const char *tls_name = ov->tls_server_name ? ov->tls_server_name : body_str(pk.cluster, "tls-server-name");
    const char *ns = ov->namespace ? ov->namespace : body_str(pk.ctx, "namespace");
    if (!set_str(&c.context, pk.context ? pk.context : "") || !set_str(&c.cluster, pk.cluster_name) ||
        !set_str(&c.user, pk.user_name) || !set_str(&c.server, server) || !set_str(&c.tls_server_name, tls_name) ||
        !set_str(&c.namespace, ns && *ns ? ns : "default")) {
        kc_kubeconfig_client_close(&c);
        return fail(errbuf, errlen, -ENOMEM, "out of memory");
    }
    if ((rc = resolve_tls(&pk, ov, &c, errbuf, errlen)) != 0 || (rc = resolve_user(&pk, ov, &c, errbuf, errlen))) {
        kc_kubeconfig_client_close(&c);
        return rc;
    }
    *out = c;
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------
 * config view. */

/* kubectl prints exec with its Go defaults: args and env as null when missing, provideClusterInfo false. */
static json_t *
view_exec(const json_t *exec)
{
    static const char *const order[] = { "command",        "args",        "env",
                                         "apiVersion",     "installHint", "provideClusterInfo",
                                         "interactiveMode" };
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        json_t *v = json_object_get(exec, order[i]);
        bool omitempty = i == 3 || i == 4 || i == 6;
        if (!v || json_is_null(v)) {
            if (omitempty)
                continue;
            v = i == 5 ? json_false() : i == 0 ? json_string("") : json_null();
            if (!v || json_object_set_new(o, order[i], v) != 0)
                goto oom;
            continue;
        }
        if (omitempty && json_is_string(v) && json_string_length(v) == 0)
            continue;
        if (json_object_set(o, order[i], v) != 0)
            goto oom;
    }
    return o;
oom:
    json_decref(o);
    return NULL;
}

/* One entry body as kubectl prints it: known fields only, in its order, empty ones omitted, secrets redacted
 * unless raw, data re-encoded (kubectl decodes and encodes them again). */
static json_t *
view_body(enum section s, const json_t *body, bool raw)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (const struct field *f = section_fields[s]; f->key; f++) {
        json_t *v = json_object_get(body, f->key), *nv = NULL;
        if (!v || json_is_null(v) || json_is_false(v) || (json_is_string(v) && json_string_length(v) == 0))
            continue;
        if (f->redact && !raw) {
            nv = json_string(f->redact);
        } else if (f->type == F_DATA) {
            uint8_t *bytes;
            size_t blen, bad;
            if (data_decode(json_string_value(v), json_string_length(v), &bytes, &blen, &bad) != 0)
                goto oom; /* validated at load time: only allocation can fail */
            char *enc = kc_base64_encode(bytes, blen);
            free(bytes);
            nv = enc ? json_string(enc) : NULL;
            free(enc);
        } else if (f->type == F_EXEC) {
            nv = view_exec(v);
        } else {
            nv = json_deep_copy(v);
        }
        if (!nv || json_object_set_new(o, f->key, nv) != 0)
            goto oom;
    }
    return o;
oom:
    json_decref(o);
    return NULL;
}

static int
cmp_entry(const void *a, const void *b)
{
    const struct entry *const *ea = a, *const *eb = b;
    return strcmp((*ea)->name, (*eb)->name);
}

/* The list for one section, sorted by name (kubectl's maps come out sorted), or null when empty. When filter,
 * only the entry named only (none when only is NULL) is kept. */
static json_t *
view_list(const struct kc_kubeconfig *kc, enum section s, bool filter, const char *only, bool raw)
{
    size_t n = kc->n[s];
    if (n == 0 || (filter && (!only || !find_entry(kc, s, only))))
        return json_null();
    const struct entry **sorted = kc_calloc(n, sizeof(*sorted));
    json_t *arr = json_array();
    if (!sorted || !arr)
        goto oom;
    for (size_t i = 0; i < n; i++)
        sorted[i] = &kc->entries[s][i];
    qsort(sorted, n, sizeof(*sorted), cmp_entry);
    for (size_t i = 0; i < n; i++) {
        if (filter && strcmp(sorted[i]->name, only) != 0)
            continue;
        json_t *item = json_object();
        json_t *body = view_body(s, sorted[i]->body, raw);
        if (!item || !body || json_object_set_new(item, "name", json_string(sorted[i]->name)) != 0 ||
            json_object_set_new(item, sections[s].inner, body) != 0 || json_array_append_new(arr, item) != 0) {
            json_decref(item);
            json_decref(body);
            goto oom;
        }
    }
    free(sorted);
    return arr;
oom:
    free(sorted);
    json_decref(arr);
    return NULL;
}

int
kc_kubeconfig_view(const struct kc_kubeconfig *kc, unsigned flags, const char *context, json_t **out, char *errbuf,
                   size_t errlen)
{
    bool raw = flags & KC_KUBECONFIG_VIEW_RAW;
    const char *only_ctx = NULL, *only_cluster = NULL, *only_user = NULL;
    const char *cur = kc->current_context;

    if (flags & KC_KUBECONFIG_VIEW_MINIFY) {
        only_ctx = context ? context : cur;
        if (!only_ctx)
            return fail(errbuf, errlen, KC_EINVALID, "current-context must exist in order to minify");
        const struct entry *e = find_entry(kc, SEC_CONTEXTS, only_ctx);
        if (!e)
            return fail(errbuf, errlen, KC_ENOTFOUND, "cannot locate context %s", only_ctx);
        only_cluster = body_str(e, "cluster");
        only_user = body_str(e, "user");
        cur = only_ctx;
    }

    json_t *v = json_object();
    if (!v)
        return fail(errbuf, errlen, -ENOMEM, "out of memory");
    int bad = json_object_set_new(v, "kind", json_string("Config"));
    bad |= json_object_set_new(v, "apiVersion", json_string("v1"));
    bad |= json_object_set_new(v, "preferences", json_object());
    bool filter = only_ctx != NULL;
    bad |= json_object_set_new(v, "clusters", view_list(kc, SEC_CLUSTERS, filter, only_cluster, raw));
    bad |= json_object_set_new(v, "users", view_list(kc, SEC_USERS, filter, only_user, raw));
    bad |= json_object_set_new(v, "contexts", view_list(kc, SEC_CONTEXTS, filter, only_ctx, raw));
    bad |= json_object_set_new(v, "current-context", json_string(cur ? cur : ""));
    if (bad) {
        json_decref(v);
        return fail(errbuf, errlen, -ENOMEM, "out of memory");
    }
    *out = v;
    return 0;
}
