/* manifest.c - reads the objects of `-f FILE|DIR|-` (with -R) as kubectl's resource builder does: YAML and JSON
 * streams, several documents per file, List kinds expanded, each object tagged with its source and document.
 * Everything is read and checked before a command sends anything, so a broken file changes nothing. */
#include "kctl.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_yaml.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 64 /* directory nesting followed by -R; deeper trees are an error, not a stack overflow */

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Go's path/filepath.Clean: the shortest equivalent of p (no "//", no "." segments, ".." resolved where it
 * can be), written into buf. kubectl names the files of a directory filepath.Join(dir, name), which cleans. */
static void
clean_path(const char *p, char *buf, size_t len)
{
    bool rooted = p[0] == '/';
    size_t n = 0, dotdot = 0; /* dotdot: where ".." can no longer backtrack */
    if (len == 0)
        return;
    if (rooted && n + 1 < len)
        buf[n++] = '/', dotdot = 1;
    for (size_t r = 0; p[r];) {
        if (p[r] == '/') {
            r++;
        } else if (p[r] == '.' && (p[r + 1] == '/' || !p[r + 1])) {
            r++;
        } else if (p[r] == '.' && p[r + 1] == '.' && (p[r + 2] == '/' || !p[r + 2])) {
            r += 2;
            if (n > dotdot) {
                n--;
                while (n > dotdot && buf[n] != '/')
                    n--;
            } else if (!rooted) {
                if (n > 0 && n + 1 < len)
                    buf[n++] = '/';
                if (n + 2 < len)
                    buf[n++] = '.', buf[n++] = '.';
                dotdot = n;
            }
        } else {
            if (((rooted && n != 1) || (!rooted && n != 0)) && n + 1 < len)
                buf[n++] = '/';
            for (; p[r] && p[r] != '/'; r++)
                if (n + 1 < len)
                    buf[n++] = p[r];
        }
    }
    if (n == 0 && len > 1)
        buf[n++] = '.';
    buf[n] = '\0';
}

/* Drops the objects added after the first n. */
static void
truncate_to(struct kctl_manifest *m, size_t n)
{
    while (m->n > n) {
        m->n--;
        json_decref(m->objs[m->n].obj);
        free(m->objs[m->n].source);
    }
}

static int
push(struct kctl_manifest *m, json_t *obj, const char *source, int doc)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        struct kctl_object *o = kc_realloc(m->objs, cap * sizeof(*o));
        if (!o)
            return -ENOMEM;
        m->objs = o;
        m->cap = cap;
    }
    char *src = kc_strdup(source);
    if (!src)
        return -ENOMEM;
    m->objs[m->n++] = (struct kctl_object){ .obj = json_incref(obj), .source = src, .doc = doc };
    return 0;
}

/* kubectl's client-side validation, as far as it runs against a server without an OpenAPI v2 document: the
 * object must be a map with apiVersion and kind; metadata.name and namespace, when present, must be strings. */
static int
check_object(const json_t *obj, const char *source, char *err, size_t errlen)
{
    if (!json_is_object(obj))
        return fail(err, errlen, KC_EINVALID,
                    "error validating \"%s\": error validating data: invalid object to validate; if you choose to "
                    "ignore these errors, turn validation off with --validate=false",
                    source);
    const json_t *av = json_object_get(obj, "apiVersion"), *kind = json_object_get(obj, "kind");
    bool no_av = !json_is_string(av) || !json_string_length(av);
    bool no_kind = !json_is_string(kind) || !json_string_length(kind);
    if (no_av || no_kind)
        return fail(err, errlen, KC_EINVALID,
                    "error validating \"%s\": error validating data: %s%s%s%s%s; if you choose to ignore these errors, "
                    "turn validation off with --validate=false",
                    source, no_av && no_kind ? "[" : "", no_av ? "apiVersion not set" : "",
                    no_av && no_kind ? ", " : "", no_kind ? "kind not set" : "", no_av && no_kind ? "]" : "");
    const json_t *md = json_object_get(obj, "metadata");
    if (md && !json_is_object(md) && !json_is_null(md))
        return fail(err, errlen, KC_EINVALID,
                    "unable to decode \"%s\": json: cannot unmarshal %s into Go struct field %s.metadata of type "
                    "v1.ObjectMeta",
                    source,
                    json_is_array(md)    ? "array"
                    : json_is_string(md) ? "string"
                                         : "number",
                    json_string_value(kind));
    static const char *const fields[] = { "name", "namespace", "generateName" };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const json_t *v = json_object_get(md, fields[i]);
        if (!v || json_is_string(v) || json_is_null(v))
            continue;
        const char *t = json_is_boolean(v)  ? "bool"
                        : json_is_number(v) ? "number"
                        : json_is_array(v)  ? "array"
                                            : "object";
        return fail(err, errlen, KC_EINVALID,
                    "unable to decode \"%s\": json: cannot unmarshal %s into Go struct field ObjectMeta.metadata.%s "
                    "of type string",
                    source, t, fields[i]);
    }
    static const char *const maps[] = { "labels", "annotations" };
    for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
        const json_t *v = json_object_get(md, maps[i]), *x;
        const char *k;
        if (json_is_object(v)) {
            json_object_foreach((json_t *)v, k, x)
            {
                if (json_is_string(x) || json_is_null(x))
                    continue;
                const char *t = json_is_boolean(x)  ? "bool"
                                : json_is_number(x) ? "number"
                                : json_is_array(x)  ? "array"
                                                    : "object";
                return fail(err, errlen, KC_EINVALID,
                            "unable to decode \"%s\": json: cannot unmarshal %s into Go struct field "
                            "ObjectMeta.metadata.%s of type string",
                            source, t, maps[i]);
            }
        } else if (v && !json_is_null(v)) {
            return fail(err, errlen, KC_EINVALID,
                        "unable to decode \"%s\": json: cannot unmarshal %s into Go struct field "
                        "ObjectMeta.metadata.%s of type map[string]string",
                        source,
                        json_is_array(v)    ? "array"
                        : json_is_string(v) ? "string"
                                            : "number",
                        maps[i]);
        }
    }
    return 0;
}

/* Adds one document: a List kind ("List", "PodList", ...: a kind ending in List with an items array) adds its
 * items, which inherit the list's apiVersion and the kind without "List" when they lack them (kubectl's
 * UnstructuredList decoding). */
static int
add_document(struct kctl_manifest *m, json_t *doc, const char *source, int index, char *err, size_t errlen)
{
    const char *kind = json_is_object(doc) ? json_string_value(json_object_get(doc, "kind")) : NULL;
    json_t *items = json_is_object(doc) ? json_object_get(doc, "items") : NULL;
    size_t klen = kind ? strlen(kind) : 0;
    if (!kind || klen < 4 || strcmp(kind + klen - 4, "List") != 0 || !json_is_array(items)) {
        int rc = check_object(doc, source, err, errlen);
        return rc ? rc : push(m, doc, source, index);
    }
    const char *av = json_string_value(json_object_get(doc, "apiVersion"));
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        if (json_is_object(item) && klen > 4 && !json_object_get(item, "kind")) {
            if (json_object_set_new(item, "kind", json_stringn(kind, klen - 4)) != 0)
                return -ENOMEM;
        }
        if (json_is_object(item) && klen > 4 && av && !json_object_get(item, "apiVersion")) {
            if (json_object_set_new(item, "apiVersion", json_string(av)) != 0)
                return -ENOMEM;
        }
        int rc = check_object(item, source, err, errlen);
        if (rc == 0)
            rc = push(m, item, source, index);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int
kctl_manifest_add_buffer(struct kctl_manifest *m, const char *buf, size_t len, const char *source, char *err,
                         size_t errlen)
{
    json_t *docs;
    struct kc_yaml_error ye = { 0 };
    int rc = kc_yaml_load(buf, len, &docs, &ye);
    if (rc == -ENOMEM)
        return fail(err, errlen, rc, "out of memory reading %s", source);
    if (rc != 0)
        return fail(err, errlen, KC_EPARSE, "error parsing %s: error converting YAML to JSON: %s", source, ye.message);
    size_t before = m->n, i;
    json_t *doc;
    json_array_foreach(docs, i, doc)
    {
        if ((rc = add_document(m, doc, source, (int)i, err, errlen)) != 0)
            break;
    }
    if (rc == 0) {
        for (size_t j = before; j < m->n; j++)
            m->objs[j].ndocs = (int)json_array_size(docs);
    } else {
        truncate_to(m, before);
        if (rc == -ENOMEM)
            fail(err, errlen, rc, "out of memory reading %s", source);
    }
    json_decref(docs);
    return rc;
}

/* Reads all of fd into a malloc'ed buffer. */
static int
slurp(int fd, char **out, size_t *outlen)
{
    size_t cap = 4096, n = 0;
    char *buf = kc_malloc(cap);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (n == cap) {
            char *b = kc_realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                return -ENOMEM;
            }
            buf = b;
            cap *= 2;
        }
        ssize_t r = kc_read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            return -e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *out = buf;
    *outlen = n;
    return 0;
}

static int
add_file(struct kctl_manifest *m, const char *path, char *err, size_t errlen)
{
    int fd = kc_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return fail(err, errlen, -errno, "open %s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0;
    int rc = slurp(fd, &buf, &len);
    close(fd);
    if (rc != 0)
        return fail(err, errlen, rc, "read %s: %s", path, strerror(-rc));
    rc = kctl_manifest_add_buffer(m, buf, len, path, err, errlen);
    free(buf);
    return rc;
}

static bool
has_manifest_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcmp(dot, ".json") == 0 || strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0);
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* filepath.Walk over dir: entries in byte order of their names, files with a manifest extension read, and
 * subdirectories entered only when recursive. Symbolic links are files here, as Walk's Lstat sees them. */
static int
add_dir(struct kctl_manifest *m, const char *dir, bool recursive, int depth, char *err, size_t errlen)
{
    if (depth > MAX_DEPTH)
        return fail(err, errlen, -ELOOP, "%s: directories nested deeper than %d", dir, MAX_DEPTH);
    DIR *d = opendir(dir);
    if (!d)
        return fail(err, errlen, -errno, "open %s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n == cap) {
            char **nn = kc_realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*nn));
            if (!nn) {
                rc = -ENOMEM;
                break;
            }
            names = nn;
        }
        if (!(names[n] = kc_strdup(e->d_name))) {
            rc = -ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char joined[4096], path[4096];
        snprintf(joined, sizeof(joined), "%s/%s", dir, names[i]);
        clean_path(joined, path, sizeof(path));
        struct stat st;
        if (lstat(path, &st) != 0) {
            rc = fail(err, errlen, -errno, "lstat %s: %s", path, strerror(errno));
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            if (recursive)
                rc = add_dir(m, path, true, depth + 1, err, errlen);
        } else if (has_manifest_ext(names[i])) {
            rc = add_file(m, path, err, errlen);
        }
    }
    if (rc == -ENOMEM)
        fail(err, errlen, rc, "out of memory reading %s", dir);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int
kctl_manifest_add(struct kctl_manifest *m, const char *path, bool recursive, FILE *in, char *err, size_t errlen)
{
    if (strcmp(path, "-") == 0) {
        if (!in)
            return fail(err, errlen, KC_EINVALID, "no standard input to read from");
        size_t cap = 4096, len = 0;
        char *buf = kc_malloc(cap);
        while (buf) {
            len += fread(buf + len, 1, cap - len, in);
            if (len < cap)
                break;
            char *b = kc_realloc(buf, cap *= 2);
            if (!b)
                free(buf);
            buf = b;
        }
        if (!buf)
            return fail(err, errlen, -ENOMEM, "out of memory reading STDIN");
        if (ferror(in)) {
            free(buf);
            return fail(err, errlen, -EIO, "read STDIN: %s", strerror(errno));
        }
        int rc = kctl_manifest_add_buffer(m, buf, len, "STDIN", err, errlen);
        free(buf);
        return rc;
    }
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0)
        return fail(err, errlen, KC_ENOTIMPL, "kctl does not read manifests from URLs (%s): download it first", path);
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return fail(err, errlen, -ENOENT, "the path \"%s\" does not exist", path);
        return fail(err, errlen, -errno, "stat %s: %s", path, strerror(errno));
    }
    size_t before = m->n;
    int rc = S_ISDIR(st.st_mode) ? add_dir(m, path, recursive, 0, err, errlen) : add_file(m, path, err, errlen);
    if (rc != 0)
        truncate_to(m, before);
    return rc;
}

void
kctl_manifest_close(struct kctl_manifest *m)
{
    for (size_t i = 0; i < m->n; i++) {
        json_decref(m->objs[i].obj);
        free(m->objs[i].source);
    }
    free(m->objs);
    *m = (struct kctl_manifest){ 0 };
}
