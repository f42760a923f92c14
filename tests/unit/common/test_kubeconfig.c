/* test_kubeconfig.c - kubeconfig loading, KUBECONFIG merging, context resolution with overrides, and the
 * `config view` rendering, against files under tests/unit/data/kubeconfig/ (goldens made with kubectl 1.33).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kc_error.h"
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_kubeconfig.h"
#include "kc_yaml.h"

static char data_dir[1024]; /* tests/unit/data/kubeconfig */

static const char *
path_of(const char *rel)
{
    static char bufs[4][1100];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof(bufs[0]), "%s/%s", data_dir, rel);
    return b;
}

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static struct kc_kubeconfig *
load_explicit(const char *rel)
{
    struct kc_kubeconfig *kc = NULL;
    char err[512] = "";
    int rc = kc_kubeconfig_load(path_of(rel), &kc, err, sizeof(err));
    if (rc)
        fail_msg("load %s: %d %s", rel, rc, err);
    return kc;
}

/* Loads with KUBECONFIG set to the given list (paths relative to the data dir, ':'-joined). */
static struct kc_kubeconfig *
load_env(const char *list)
{
    char env[4096] = "";
    char copy[1024];
    snprintf(copy, sizeof(copy), "%s", list);
    for (char *save = NULL, *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
        if (*env)
            strcat(env, ":");
        strcat(env, path_of(t));
    }
    setenv("KUBECONFIG", env, 1);
    struct kc_kubeconfig *kc = NULL;
    char err[512] = "";
    int rc = kc_kubeconfig_load(NULL, &kc, err, sizeof(err));
    unsetenv("KUBECONFIG");
    if (rc)
        fail_msg("load KUBECONFIG=%s: %d %s", env, rc, err);
    return kc;
}

static int
resolve(const struct kc_kubeconfig *kc, const struct kc_kubeconfig_overrides *ov, struct kc_kubeconfig_client *c,
        char *err, size_t errlen)
{
    err[0] = '\0';
    return kc_kubeconfig_resolve(kc, ov, c, err, errlen);
}

static void
assert_file_content(const char *got, size_t got_len, const char *rel)
{
    size_t len;
    char *want = slurp(path_of(rel), &len);
    assert_non_null(got);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, want, len);
    free(want);
}

static int
setup(void **state)
{
    (void)state;
    const char *d = getenv("K8C_TEST_DATA");
    if (!d)
        return -1;
    snprintf(data_dir, sizeof(data_dir), "%s/kubeconfig", d);
    unsetenv("KUBECONFIG");
    return 0;
}

static void
test_single_file(void **state)
{
    (void)state;
    struct kc_kubeconfig *kc = load_explicit("config-a.yaml");
    assert_string_equal(kc_kubeconfig_current_context(kc), "alpha-admin");

    struct kc_kubeconfig_client c;
    char err[512];
    assert_int_equal(resolve(kc, NULL, &c, err, sizeof(err)), 0);
    assert_string_equal(c.context, "alpha-admin");
    assert_string_equal(c.cluster, "alpha");
    assert_string_equal(c.user, "admin");
    assert_string_equal(c.server, "https://alpha.example:6443");
    assert_string_equal(c.tls_server_name, "api.alpha.internal");
    assert_false(c.insecure);
    assert_string_equal(c.namespace, "shop");
    /* Relative paths resolve against the directory of the kubeconfig file. */
    assert_file_content(c.ca_pem, c.ca_pem_len, "ca.crt");
    assert_file_content(c.cert_pem, c.cert_pem_len, "sub/client.crt");
    assert_file_content(c.key_pem, c.key_pem_len, "sub/client.key");
    assert_null(c.token);
    assert_null(c.username);
    kc_kubeconfig_client_close(&c);
    assert_null(c.server);

    /* Inline data is base64-decoded. */
    struct kc_kubeconfig_overrides ov = { .context = "shared-inline" };
    assert_int_equal(resolve(kc, &ov, &c, err, sizeof(err)), 0);
    assert_string_equal(c.server, "https://shared-from-a.example");
    assert_null(c.tls_server_name);
    assert_string_equal(c.namespace, "default");
    assert_file_content(c.ca_pem, c.ca_pem_len, "ca.crt");
    assert_file_content(c.cert_pem, c.cert_pem_len, "sub/client.crt");
    assert_file_content(c.key_pem, c.key_pem_len, "sub/client.key");
    kc_kubeconfig_client_close(&c);

    /* Tokens: inline, from a file (trimmed; an empty namespace means "default"), basic auth. */
    ov.context = "shared-token";
    assert_int_equal(resolve(kc, &ov, &c, err, sizeof(err)), 0);
    assert_string_equal(c.token, "secret-token");
    assert_null(c.cert_pem);
    kc_kubeconfig_client_close(&c);
    ov.context = "alpha-filetoken";
    assert_int_equal(resolve(kc, &ov, &c, err, sizeof(err)), 0);
    assert_string_equal(c.token, "token-from-file");
    assert_string_equal(c.namespace, "default");
    kc_kubeconfig_client_close(&c);
    ov = (struct kc_kubeconfig_overrides){ .context = "shared-token", .user = "basic" };
    assert_int_equal(resolve(kc, &ov, &c, err, sizeof(err)), 0);
    assert_string_equal(c.user, "basic");
    assert_string_equal(c.username, "bob");
    assert_string_equal(c.password, "hunter2");
    assert_null(c.token);
    kc_kubeconfig_client_close(&c);
    kc_kubeconfig_free(kc);
}

/* KUBECONFIG merging: the first file to define a name wins, and so does the first current-context. */
static void
test_kubeconfig_merge(void **state)
{
    (void)state;
    struct kc_kubeconfig_client c;
    char err[512];

    struct kc_kubeconfig *kc = load_env("missing-1.yaml::config-a.yaml:sub/config-b.yaml:config-a.yaml");
    assert_string_equal(kc_kubeconfig_current_context(kc), "alpha-admin");
    struct kc_kubeconfig_overrides ov = { .context = "shared-inline" };
    assert_int_equal(resolve(kc, &ov, &c, err, sizeof(err)), 0);
    assert_string_equal(c.server, "https://shared-from-a.example"); /* a's "shared", not b's */
    assert_false(c.insecure);
    kc_kubeconfig_client_close(&c);
    ov.context = "beta"; /* only b defines it; its CA path is relative to b's directory */
    assert_int_equal(resolve(kc, &ov, &c, err, sizeof(err)), 0);
    assert_string_equal(c.server, "https://beta.example");
    assert_string_equal(c.token, "beta-token");
    assert_string_equal(c.namespace, "beta-ns");
    assert_file_content(c.ca_pem, c.ca_pem_len, "b-ca.crt");
    kc_kubeconfig_client_close(&c);
    ov.context = "alpha-admin";
    assert_int_equal(resolve(kc, &ov, &c, err, sizeof(err)), 0);
    assert_null(c.token); /* a's "admin" user, with certificates, not b's token */
    assert_non_null(c.cert_pem);
    kc_kubeconfig_client_close(&c);
    kc_kubeconfig_free(kc);

    kc = load_env("sub/config-b.yaml:config-a.yaml");
    assert_string_equal(kc_kubeconfig_current_context(kc), "beta");
    ov.context = "shared-inline";
    assert_int_equal(resolve(kc, &ov, &c, err, sizeof(err)), 0);
    assert_string_equal(c.server, "https://shared-from-b.example");
    assert_true(c.insecure);
    assert_null(c.ca_pem);
    kc_kubeconfig_client_close(&c);
    ov.context = "alpha-admin";
    assert_int_equal(resolve(kc, &ov, &c, err, sizeof(err)), 0);
    assert_string_equal(c.token, "admin-from-b");
    assert_null(c.cert_pem);
    kc_kubeconfig_client_close(&c);
    kc_kubeconfig_free(kc);

    /* Only missing files: an empty configuration, which cannot be resolved without overrides. */
    kc = load_env("nope-1:nope-2");
    assert_null(kc_kubeconfig_current_context(kc));
    assert_int_equal(resolve(kc, NULL, &c, err, sizeof(err)), KC_EINVALID);
    assert_string_equal(err,
                        "invalid configuration: no configuration has been provided (no current-context and no server)");
    struct kc_kubeconfig_overrides srv = { .server = "https://127.0.0.1:6443", .token = "t" };
    assert_int_equal(resolve(kc, &srv, &c, err, sizeof(err)), 0);
    assert_string_equal(c.server, "https://127.0.0.1:6443");
    assert_string_equal(c.context, "");
    assert_string_equal(c.namespace, "default");
    kc_kubeconfig_client_close(&c);
    kc_kubeconfig_free(kc);
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Temp files: the default ~/.kube/config, and relative paths resolved from a kubeconfig in another dir. */
static void
test_home_and_temp_files(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/kc-kubeconfig-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char path[1200], kube[1200], other[1200];
    snprintf(kube, sizeof(kube), "%s/.kube", dir);
    assert_int_equal(mkdir(kube, 0700), 0);
    snprintf(path, sizeof(path), "%s/.kube/config", dir);
    write_file(path, "apiVersion: v1\nkind: Config\ncurrent-context: home\n"
                     "contexts:\n- name: home\n  context: {cluster: home, user: me}\n"
                     "clusters:\n- name: home\n  cluster:\n    server: https://home.example\n"
                     "    certificate-authority: certs/../certs/ca.pem\n"
                     "users:\n- name: me\n  user: {tokenFile: ./tok}\n");
    snprintf(other, sizeof(other), "%s/.kube/certs", dir);
    assert_int_equal(mkdir(other, 0700), 0);
    snprintf(other, sizeof(other), "%s/.kube/certs/ca.pem", dir);
    write_file(other, "-----BEGIN CERTIFICATE-----\nhome\n-----END CERTIFICATE-----\n");
    snprintf(other, sizeof(other), "%s/.kube/tok", dir);
    write_file(other, "home-token\n");

    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", dir, 1);
    unsetenv("KUBECONFIG");
    struct kc_kubeconfig *kc = NULL;
    char err[512];
    int rc = kc_kubeconfig_load(NULL, &kc, err, sizeof(err));
    struct kc_kubeconfig_client c = { 0 };
    int rrc = rc == 0 ? resolve(kc, NULL, &c, err, sizeof(err)) : rc;

    /* An empty token file is an error. */
    write_file(other, "  \n");
    struct kc_kubeconfig_client c2 = { 0 };
    int erc = rc == 0 ? resolve(kc, NULL, &c2, err, sizeof(err)) : rc;
    char errcopy[512];
    snprintf(errcopy, sizeof(errcopy), "%s", err);
    kc_kubeconfig_free(kc);

    /* No ~/.kube/config: an empty configuration. */
    remove(path);
    kc = NULL;
    int rc_empty = kc_kubeconfig_load(NULL, &kc, err, sizeof(err));
    const char *cur = kc ? kc_kubeconfig_current_context(kc) : "x";
    kc_kubeconfig_free(kc);

    if (old_home) {
        setenv("HOME", old_home, 1);
        free(old_home);
    } else {
        unsetenv("HOME");
    }
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);

    assert_int_equal(rc, 0);
    assert_int_equal(rrc, 0);
    assert_string_equal(c.server, "https://home.example");
    assert_string_equal(c.ca_pem, "-----BEGIN CERTIFICATE-----\nhome\n-----END CERTIFICATE-----\n");
    assert_string_equal(c.token, "home-token");
    kc_kubeconfig_client_close(&c);
    assert_int_equal(erc, -EINVAL);
    assert_non_null(strstr(errcopy, "read empty token from file"));
    assert_int_equal(rc_empty, 0);
    assert_null(cur);
}

static void
test_overrides(void **state)
{
    (void)state;
    struct kc_kubeconfig *kc = load_explicit("config-a.yaml");
    struct kc_kubeconfig_client c;
    char err[512];

    /* server, namespace, tls-server-name and token; the token wins over a tokenFile. */
    struct kc_kubeconfig_overrides ov = { .context = "alpha-filetoken",
                                          .server = "https://override.example",
                                          .namespace = "ns-override",
                                          .tls_server_name = "sni.example",
                                          .token = "flag-token" };
    assert_int_equal(resolve(kc, &ov, &c, err, sizeof(err)), 0);
    assert_string_equal(c.server, "https://override.example");
    assert_string_equal(c.namespace, "ns-override");
    assert_string_equal(c.tls_server_name, "sni.example");
    assert_string_equal(c.token, "flag-token");
    kc_kubeconfig_client_close(&c);

    /* --cluster and --user replace the context's; --certificate-authority replaces CA data. */
    ov = (struct kc_kubeconfig_overrides){ .cluster = "shared",
                                           .user = "token-user",
                                           .certificate_authority = path_of("b-ca.crt") };
    assert_int_equal(resolve(kc, &ov, &c, err, sizeof(err)), 0);
    assert_string_equal(c.context, "alpha-admin");
    assert_string_equal(c.cluster, "shared");
    assert_string_equal(c.server, "https://shared-from-a.example");
    assert_string_equal(c.token, "secret-token");
    assert_string_equal(c.namespace, "shop");
    assert_file_content(c.ca_pem, c.ca_pem_len, "b-ca.crt");
    kc_kubeconfig_client_close(&c);

    /* --insecure-skip-tls-verify alone drops the configured CA instead of conflicting with it. */
    ov = (struct kc_kubeconfig_overrides){ .insecure_skip_tls_verify = true };
    assert_int_equal(resolve(kc, &ov, &c, err, sizeof(err)), 0);
    assert_true(c.insecure);
    assert_null(c.ca_pem);
    kc_kubeconfig_client_close(&c);

    /* Client certificate and key files replace inline data. */
    ov = (struct kc_kubeconfig_overrides){ .context = "shared-inline",
                                           .client_certificate = path_of("ca.crt"),
                                           .client_key = path_of("b-ca.crt") };
    assert_int_equal(resolve(kc, &ov, &c, err, sizeof(err)), 0);
    assert_file_content(c.cert_pem, c.cert_pem_len, "ca.crt");
    assert_file_content(c.key_pem, c.key_pem_len, "b-ca.crt");
    kc_kubeconfig_client_close(&c);

    /* Names given by overrides must exist. */
    static const struct {
        struct kc_kubeconfig_overrides ov;
        int rc;
        const char *msg;
    } bad[] = {
        { { .context = "nope" }, KC_ENOTFOUND, "context \"nope\" does not exist" },
        { { .cluster = "nope" }, KC_ENOTFOUND, "cluster \"nope\" does not exist" },
        { { .user = "nope" }, KC_ENOTFOUND, "auth info \"nope\" does not exist" },
        { { .context = "no-server" }, KC_EINVALID, "no server found for cluster \"missing-cluster\"" },
        { { .context = "shared-token", .username = "u" },
          KC_EINVALID,
          "more than one authentication method found for token-user; found [token basicAuth], only one is allowed" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&c, 0x5a, sizeof(c));
        assert_int_equal(resolve(kc, &bad[i].ov, &c, err, sizeof(err)), bad[i].rc);
        assert_string_equal(err, bad[i].msg);
        assert_null(c.server); /* zeroed on failure */
    }
    kc_kubeconfig_free(kc);

    /* A current-context that names nothing. */
    char tmpl[] = "/tmp/kc-kubeconfig-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    close(fd);
    write_file(tmpl, "current-context: gone\n");
    kc = NULL;
    int rc = kc_kubeconfig_load(tmpl, &kc, err, sizeof(err));
    unlink(tmpl);
    assert_int_equal(rc, 0);
    assert_int_equal(resolve(kc, NULL, &c, err, sizeof(err)), KC_ENOTFOUND);
    assert_string_equal(err, "context was not found for specified context: gone");
    kc_kubeconfig_free(kc);
}

static void
test_resolve_errors(void **state)
{
    (void)state;
    struct kc_kubeconfig *kc = load_explicit("conflicts.yaml");
    char missing_msg[2048];
    snprintf(missing_msg, sizeof(missing_msg),
             "unable to read client-cert %s for missing-files due to open %s: No such file or directory",
             path_of("nope.crt"), path_of("nope.crt"));
    static const struct {
        const char *context;
        int rc;
        const char *msg;
    } cases[] = {
        { "both-ca", KC_EINVALID,
          "certificate-authority-data and certificate-authority are both specified for both-ca. "
          "certificate-authority-data will override." },
        { "insecure-ca", KC_EINVALID, "specifying a root certificates file with the insecure flag is not allowed" },
        { "cert-no-key", KC_EINVALID,
          "client-key-data or client-key must be specified for cert-no-key to use the clientCert authentication "
          "method." },
        { "token-and-basic", KC_EINVALID,
          "more than one authentication method found for token-and-basic; found [token basicAuth], only one is "
          "allowed" },
        { "missing-files", -ENOENT, NULL },
        { "exec-only", KC_ENOTIMPL, "user \"exec-only\" authenticates through an exec plugin, which is not supported" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kc_kubeconfig_overrides ov = { .context = cases[i].context };
        struct kc_kubeconfig_client c;
        char err[2048];
        int rc = resolve(kc, &ov, &c, err, sizeof(err));
        if (rc != cases[i].rc)
            fail_msg("%s: rc %d (%s), want %d", cases[i].context, rc, err, cases[i].rc);
        assert_string_equal(err, cases[i].msg ? cases[i].msg : missing_msg);
    }
    /* A context whose user is not defined still resolves, without credentials (as kubectl does). */
    struct kc_kubeconfig_overrides ov = { .context = "ghost" };
    struct kc_kubeconfig_client c;
    char err[512];
    assert_int_equal(resolve(kc, &ov, &c, err, sizeof(err)), 0);
    assert_string_equal(c.server, "https://plain.example");
    assert_string_equal(c.user, "nobody");
    assert_null(c.token);
    assert_null(c.cert_pem);
    kc_kubeconfig_client_close(&c);
    kc_kubeconfig_free(kc);
}

static void
test_load_errors(void **state)
{
    (void)state;
    char want[2048];
    static const struct {
        const char *file;
        int rc;
        const char *fmt; /* %s is the file's path */
    } cases[] = {
        { "missing.yaml", -ENOENT, "stat %s: No such file or directory" },
        { "bad-yaml.yaml", KC_EPARSE,
          "error loading config file \"%s\": yaml: line 7, column 4: did not find expected key" },
        { "bad-base64.yaml", KC_EINVALID,
          "error loading config file \"%s\": invalid certificate-authority-data for cluster \"broken\": illegal "
          "base64 data at input byte 3" },
        { "bad-type.yaml", KC_EINVALID,
          "error loading config file \"%s\": clusters[0].cluster.server must be a string" },
        { "dup-name.yaml", KC_EINVALID, "error loading config file \"%s\": duplicate name \"u\" in users" },
        { "wrong-kind.yaml", KC_EINVALID,
          "error loading config file \"%s\": no kind \"Pod\" is registered for version \"v1\"" },
        { "sub", -EISDIR, "error loading config file \"%s\": Is a directory" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kc_kubeconfig *kc = (struct kc_kubeconfig *)0x1;
        char err[2048] = "";
        const char *p = path_of(cases[i].file);
        int rc = kc_kubeconfig_load(p, &kc, err, sizeof(err));
        if (rc != cases[i].rc)
            fail_msg("%s: rc %d (%s), want %d", cases[i].file, rc, err, cases[i].rc);
        const char *at = strstr(cases[i].fmt, "%s");
        snprintf(want, sizeof(want), "%.*s%s%s", (int)(at - cases[i].fmt), cases[i].fmt, p, at + 2);
        assert_string_equal(err, want);
        assert_ptr_equal(kc, (struct kc_kubeconfig *)0x1); /* untouched on failure */
    }
    /* A broken file in KUBECONFIG fails the whole load; a missing one does not. */
    setenv("KUBECONFIG", path_of("bad-type.yaml"), 1);
    struct kc_kubeconfig *kc = NULL;
    char err[512];
    assert_int_equal(kc_kubeconfig_load(NULL, &kc, err, sizeof(err)), KC_EINVALID);
    unsetenv("KUBECONFIG");
    assert_null(kc);
    /* errbuf is optional */
    assert_int_equal(kc_kubeconfig_load(path_of("missing.yaml"), &kc, NULL, 0), -ENOENT);
}

/* `kubectl config view` output, compared with what kubectl printed for the same files. */
static void
check_view(struct kc_kubeconfig *kc, unsigned flags, const char *context, const char *golden_json,
           const char *golden_yaml)
{
    json_t *v = NULL;
    char err[512];
    assert_int_equal(kc_kubeconfig_view(kc, flags, context, &v, err, sizeof(err)), 0);
    if (golden_json) {
        char *text = slurp(path_of(golden_json), NULL);
        json_t *want = json_loads(text, 0, NULL);
        assert_non_null(want);
        if (!kc_json_equal(v, want)) {
            char *g = json_dumps(v, JSON_INDENT(2));
            fail_msg("%s differs:\n%s", golden_json, g);
        }
        /* and in kubectl's key order */
        char *a = json_dumps(v, JSON_INDENT(4)), *b = json_dumps(want, JSON_INDENT(4));
        assert_string_equal(a, b);
        free(a);
        free(b);
        json_decref(want);
        free(text);
    }
    if (golden_yaml) {
        char *text = slurp(path_of(golden_yaml), NULL);
        char *out = NULL;
        assert_int_equal(kc_yaml_dump(v, KC_YAML_SORT_KEYS, &out), 0);
        assert_string_equal(out, text);
        free(out);
        free(text);
    }
    json_decref(v);
}

static void
test_view(void **state)
{
    (void)state;
    struct kc_kubeconfig *kc = load_env("config-a.yaml:sub/config-b.yaml");
    check_view(kc, 0, NULL, "view-ab.json", "view-ab.yaml");
    check_view(kc, KC_KUBECONFIG_VIEW_RAW, NULL, "view-ab-raw.json", NULL);
    check_view(kc, KC_KUBECONFIG_VIEW_MINIFY, "shared-inline", NULL, "view-ab-minify.yaml");

    json_t *v = NULL;
    char err[512];
    assert_int_equal(kc_kubeconfig_view(kc, KC_KUBECONFIG_VIEW_MINIFY, "nope", &v, err, sizeof(err)), KC_ENOTFOUND);
    assert_string_equal(err, "cannot locate context nope");
    /* Minified to the current context: one of each. */
    assert_int_equal(kc_kubeconfig_view(kc, KC_KUBECONFIG_VIEW_MINIFY, NULL, &v, err, sizeof(err)), 0);
    assert_int_equal(json_array_size(json_object_get(v, "clusters")), 1);
    assert_string_equal(kc_json_get_string(v, "users.0.name"), "admin");
    assert_string_equal(kc_json_get_string(v, "current-context"), "alpha-admin");
    json_decref(v);
    kc_kubeconfig_free(kc);

    kc = load_env("sub/config-b.yaml:config-a.yaml");
    check_view(kc, 0, NULL, "view-ba.json", NULL);
    kc_kubeconfig_free(kc);

    kc = load_env("none.yaml");
    assert_int_equal(kc_kubeconfig_view(kc, 0, NULL, &v, err, sizeof(err)), 0);
    char *out = NULL;
    assert_int_equal(kc_yaml_dump(v, KC_YAML_SORT_KEYS, &out), 0);
    assert_string_equal(out, "apiVersion: v1\nclusters: null\ncontexts: null\ncurrent-context: \"\"\nkind: Config\n"
                             "preferences: {}\nusers: null\n");
    free(out);
    json_decref(v);
    assert_int_equal(kc_kubeconfig_view(kc, KC_KUBECONFIG_VIEW_MINIFY, NULL, &v, err, sizeof(err)), KC_EINVALID);
    assert_string_equal(err, "current-context must exist in order to minify");
    kc_kubeconfig_free(kc);
}

/* Allocation failures while loading and resolving give -ENOMEM, never a crash or a leak. */
static void
test_out_of_memory(void **state)
{
    (void)state;
    const char *paths[] = { path_of("config-a.yaml"), path_of("sub/config-b.yaml") };
    int failures = 0;
    for (long nth = 1; nth < 20000; nth++) {
        struct kc_kubeconfig *kc = NULL;
        struct kc_kubeconfig_client c = { 0 };
        json_t *v = NULL;
        char err[512];
        kc_fault_arm(KC_FAULT_ALLOC, nth, 0, false);
        int rc = kc_kubeconfig_load_files(paths, 2, true, &kc, err, sizeof(err));
        if (rc == 0)
            rc = kc_kubeconfig_resolve(kc, NULL, &c, err, sizeof(err));
        if (rc == 0)
            rc = kc_kubeconfig_view(kc, KC_KUBECONFIG_VIEW_RAW, NULL, &v, err, sizeof(err));
        bool injected = kc_fault_injected(KC_FAULT_ALLOC) > 0;
        kc_fault_disarm(KC_FAULT_ALLOC);
        json_decref(v);
        kc_kubeconfig_client_close(&c);
        kc_kubeconfig_free(kc);
        if (!injected) {
            assert_int_equal(rc, 0);
            break;
        }
        if (rc != -ENOMEM)
            fail_msg("allocation %ld failed: rc %d (%s)", nth, rc, err);
        failures++;
    }
    assert_true(failures > 20);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_file),
        cmocka_unit_test(test_kubeconfig_merge),
        cmocka_unit_test(test_home_and_temp_files),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_resolve_errors),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_view),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
