/* test_gnostic.c - kc_gnostic: the generated table against gnostic's published field numbers (typed here by hand,
 * as an independent check of the generator), and the encoder read back with a small wire-format reader: every
 * message form, proto3 zero values, key order, every error path with its message, nesting, and allocation
 * failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_error.h"
#include "kc_fault.h"
#include "kc_gnostic.h"
#include "kc_json.h"

/* Parses test JSON written with single quotes. */
static json_t *
J(const char *text)
{
    size_t n = strlen(text);
    char *s = malloc(n + 1), err[160];
    json_t *v = NULL;
    assert_non_null(s);
    for (size_t i = 0; i <= n; i++)
        s[i] = text[i] == '\'' ? '"' : text[i];
    if (kc_json_parse(s, n, &v, err, sizeof(err)) != 0) {
        print_error("bad test JSON %s: %s\n", s, err);
        free(s);
        fail();
    }
    free(s);
    return v;
}

/* --- a small wire-format reader, independent of the table --- */

struct span {
    const uint8_t *p;
    size_t n;
};

struct fld {
    uint32_t num;
    int wt;
    uint64_t v;    /* varint and fixed64 */
    struct span s; /* length-delimited */
};

static uint64_t
rd_varint(struct span *s)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        assert_true(s->n > 0);
        uint8_t c = *s->p++;
        s->n--;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    fail_msg("overlong varint");
    return 0;
}

/* Reads the next field of s into f; false at the end. Fails the test on malformed input. */
static bool
rd_field(struct span *s, struct fld *f)
{
    if (!s->n)
        return false;
    uint64_t k = rd_varint(s);
    f->num = (uint32_t)(k >> 3);
    f->wt = (int)(k & 7);
    assert_true(f->num > 0);
    if (f->wt == 0) {
        f->v = rd_varint(s);
    } else if (f->wt == 1) {
        assert_true(s->n >= 8);
        f->v = 0;
        for (int i = 0; i < 8; i++)
            f->v |= (uint64_t)s->p[i] << (8 * i);
        s->p += 8;
        s->n -= 8;
    } else if (f->wt == 2) {
        uint64_t n = rd_varint(s);
        assert_true(n <= s->n);
        f->s.p = s->p;
        f->s.n = (size_t)n;
        s->p += n;
        s->n -= (size_t)n;
    } else {
        fail_msg("wire type %d", f->wt);
    }
    return true;
}

/* The nth (0-based) occurrence of field num in msg; fails when there is none. */
static struct fld
get_at(struct span msg, uint32_t num, int nth, int line)
{
    struct fld f;
    while (rd_field(&msg, &f))
        if (f.num == num && nth-- == 0)
            return f;
    print_error("line %d: no field %u (occurrence %d)\n", line, num, nth);
    fail();
    return f;
}
#define GET(msg, num)       get_at(msg, num, 0, __LINE__).s
#define GET_NTH(msg, n, k)  get_at(msg, n, k, __LINE__).s
#define GET_VARINT(msg, n)  get_at(msg, n, 0, __LINE__).v
#define GET_FIXED64(msg, n) get_at(msg, n, 0, __LINE__).v

static int
count(struct span msg, uint32_t num)
{
    struct fld f;
    int n = 0;
    while (rd_field(&msg, &f))
        n += f.num == num;
    return n;
}

static void
expect_str(struct span s, const char *want)
{
    if (s.n != strlen(want) || memcmp(s.p, want, s.n) != 0) {
        print_error("got \"%.*s\", want \"%s\"\n", (int)s.n, (const char *)s.p, want);
        fail();
    }
}

/* Encodes JSON text as a Document; fails unless it succeeds. The caller frees out. */
static struct span
encode(const char *text, unsigned char **out)
{
    json_t *doc = J(text);
    size_t len = 99;
    char err[300];
    int rc = kc_gnostic_encode(doc, out, &len, err, sizeof(err));
    json_decref(doc);
    if (rc != 0) {
        print_error("encode %s: %d %s\n", text, rc, err);
        fail();
    }
    return (struct span){ *out, len };
}

/* Encodes JSON text expecting failure rc with a message containing want. */
static void
encode_fails(const char *text, int rc, const char *want)
{
    json_t *doc = J(text);
    unsigned char *out = (unsigned char *)"untouched";
    size_t len = 99;
    char err[300] = "x";
    int got = kc_gnostic_encode(doc, &out, &len, err, sizeof(err));
    json_decref(doc);
    if (got != rc || !strstr(err, want)) {
        print_error("encode %s: got %d \"%s\", want %d \"%s\"\n", text, got, err, rc, want);
        fail();
    }
    assert_string_equal((const char *)out, "untouched");
    assert_int_equal(len, 99);
}

/* --- the table --- */

static void
num_is(const char *msg, const char *field, uint32_t want)
{
    const struct kc_gnostic_field *f = kc_gnostic_field_named(kc_gnostic_find(msg), field);
    if (!f || f->number != want) {
        print_error("%s.%s: got %d, want %u\n", msg, field, f ? (int)f->number : -1, want);
        fail();
    }
}

static void
test_table(void **state)
{
    (void)state;
    assert_true(kc_gnostic_gen_nmsgs >= 50);
    for (size_t i = 1; i < kc_gnostic_gen_nmsgs; i++)
        assert_true(strcmp(kc_gnostic_gen_msgs[i - 1].name, kc_gnostic_gen_msgs[i].name) < 0);
    for (size_t i = 0; i < kc_gnostic_gen_nmsgs; i++) {
        const struct kc_gnostic_msg *m = &kc_gnostic_gen_msgs[i];
        assert_ptr_equal(kc_gnostic_find(m->name), m);
        for (size_t k = 0; k < m->nfields; k++) {
            const struct kc_gnostic_field *f = &m->fields[k];
            if (k)
                assert_true(m->fields[k - 1].number < f->number);
            assert_true((f->role == KC_GNOSTIC_ROLE_MEMBER) == (f->key != NULL));
            assert_true((f->role == KC_GNOSTIC_ROLE_ALT) == (f->when != KC_GNOSTIC_WHEN_NONE));
            if (f->type == KC_GNOSTIC_MESSAGE && f->role != KC_GNOSTIC_ROLE_UNUSED)
                assert_non_null(f->msg);
        }
    }
    assert_null(kc_gnostic_find("openapi.v2.Nope"));
    assert_null(kc_gnostic_find(NULL));
    assert_null(kc_gnostic_field_named(NULL, "swagger"));
    assert_null(kc_gnostic_field_named(kc_gnostic_find("openapi.v2.Document"), "nope"));
    /* gnostic's OpenAPIv2.proto, as published */
    num_is("openapi.v2.Document", "swagger", 1);
    num_is("openapi.v2.Document", "info", 2);
    num_is("openapi.v2.Document", "paths", 8);
    num_is("openapi.v2.Document", "definitions", 9);
    num_is("openapi.v2.Document", "security", 12);
    num_is("openapi.v2.Document", "security_definitions", 13);
    num_is("openapi.v2.Paths", "path", 2);
    num_is("openapi.v2.PathItem", "patch", 8);
    num_is("openapi.v2.PathItem", "parameters", 9);
    num_is("openapi.v2.Operation", "operation_id", 5);
    num_is("openapi.v2.Operation", "parameters", 8);
    num_is("openapi.v2.Operation", "vendor_extension", 13);
    num_is("openapi.v2.Parameter", "non_body_parameter", 2);
    num_is("openapi.v2.NonBodyParameter", "query_parameter_sub_schema", 3);
    num_is("openapi.v2.QueryParameterSubSchema", "name", 4);
    num_is("openapi.v2.Schema", "_ref", 1);
    num_is("openapi.v2.Schema", "required", 19);
    num_is("openapi.v2.Schema", "additional_properties", 21);
    num_is("openapi.v2.Schema", "type", 22);
    num_is("openapi.v2.Schema", "items", 23);
    num_is("openapi.v2.Schema", "properties", 25);
    num_is("openapi.v2.Schema", "vendor_extension", 31);
    num_is("openapi.v2.NamedAny", "value", 2);
    num_is("openapi.v2.Any", "yaml", 2);
    const struct kc_gnostic_msg *op = kc_gnostic_find("openapi.v2.Operation");
    assert_int_equal(op->form, KC_GNOSTIC_FORM_OBJECT);
    assert_string_equal(kc_gnostic_field_named(op, "operation_id")->key, "operationId");
    assert_string_equal(kc_gnostic_field_named(kc_gnostic_find("openapi.v2.Schema"), "_ref")->key, "$ref");
    assert_int_equal(kc_gnostic_find("openapi.v2.Paths")->form, KC_GNOSTIC_FORM_MAP);
    assert_int_equal(kc_gnostic_find("openapi.v2.NamedSchema")->form, KC_GNOSTIC_FORM_NAMED);
    assert_int_equal(kc_gnostic_find("openapi.v2.ParametersItem")->form, KC_GNOSTIC_FORM_ONEOF);
    assert_int_equal(kc_gnostic_find("openapi.v2.Any")->form, KC_GNOSTIC_FORM_ANY);
    assert_int_equal(kc_gnostic_find("openapi.v2.TypeItem")->form, KC_GNOSTIC_FORM_STRINGS);
    assert_int_equal(kc_gnostic_find("openapi.v2.ItemsItem")->form, KC_GNOSTIC_FORM_SCHEMAS);
}

/* --- encoding --- */

static void
test_minimal(void **state)
{
    (void)state;
    unsigned char *out;
    struct span s = encode("{'swagger':'2.0'}", &out);
    static const uint8_t want[] = { 0x0a, 0x03, '2', '.', '0' }; /* KUBE_API_NOTES.md */
    assert_int_equal(s.n, sizeof(want));
    assert_memory_equal(s.p, want, sizeof(want));
    free(out);
    /* zero scalars are not written, as proto3: an empty message (a buffer all the same) */
    s = encode("{'swagger':'','info':{'title':'','version':''}}", &out);
    assert_non_null(out);
    assert_int_equal(s.n, 2); /* info: present, empty */
    assert_int_equal(out[0], 2 << 3 | 2);
    assert_int_equal(out[1], 0);
    free(out);
    s = encode("{}", &out);
    assert_int_equal(s.n, 0);
    free(out);
}

static void
test_paths_and_operations(void **state)
{
    (void)state;
    unsigned char *out;
    struct span doc = encode("{'swagger':'2.0','info':{'title':'Kubernetes','version':'v1.33.0'},"
                             "'paths':{'x-top':true,'/b':{},'/a':{"
                             " 'parameters':[{'in':'path','name':'name','required':true,'type':'string',"
                             "                'uniqueItems':true},{'$ref':'#/parameters/p'}],"
                             " 'patch':{'operationId':'patchX','consumes':['a','b'],'schemes':['https'],"
                             "  'tags':['core_v1'],'x-kubernetes-action':'patch',"
                             "  'x-kubernetes-group-version-kind':{'group':'','kind':'Pod','version':'v1'},"
                             "  'parameters':[{'in':'body','name':'body','required':true,"
                             "                 'schema':{'$ref':'#/definitions/P'}},"
                             "                {'in':'query','name':'dryRun','type':'string','uniqueItems':false}],"
                             "  'responses':{'200':{'description':'OK','schema':{'$ref':'#/definitions/P'}},"
                             "               '401':{'description':'Unauthorized'}}}}},"
                             "'security':[{'BearerToken':[]}],"
                             "'securityDefinitions':{'BearerToken':{'in':'header','name':'authorization',"
                             "                                      'type':'apiKey'}}}",
                             &out);
    expect_str(GET(doc, 1), "2.0");
    expect_str(GET(GET(doc, 2), 1), "Kubernetes");
    expect_str(GET(GET(doc, 2), 2), "v1.33.0");
    struct span paths = GET(doc, 8);
    /* Paths: vendor extensions (1) first, then the paths (2) sorted by name */
    expect_str(GET(GET(paths, 1), 1), "x-top");
    expect_str(GET(GET(GET(paths, 1), 2), 2), "true");
    assert_int_equal(count(paths, 2), 2);
    expect_str(GET(GET_NTH(paths, 2, 0), 1), "/a");
    expect_str(GET(GET_NTH(paths, 2, 1), 1), "/b");
    assert_int_equal(GET_NTH(paths, 2, 1).n, 6); /* 0a 02 "/b" 12 00: "/b" with an empty PathItem */
    struct span item = GET(GET_NTH(paths, 2, 0), 2);
    /* path-level parameters: a non-body path parameter, then a JSON reference */
    struct span p0 = GET(GET(GET_NTH(item, 9, 0), 1), 2); /* ParametersItem.parameter.non_body */
    struct span path = GET(p0, 4);                        /* path_parameter_sub_schema */
    assert_int_equal(GET_VARINT(path, 1), 1);             /* required */
    expect_str(GET(path, 2), "path");
    expect_str(GET(path, 4), "name");
    expect_str(GET(path, 5), "string");
    assert_int_equal(GET_VARINT(path, 19), 1);                         /* uniqueItems */
    expect_str(GET(GET(GET_NTH(item, 9, 1), 2), 1), "#/parameters/p"); /* json_reference._ref */
    struct span op = GET(item, 8);                                     /* patch */
    expect_str(GET(op, 5), "patchX");
    assert_int_equal(count(op, 7), 2);
    expect_str(GET_NTH(op, 7, 1), "b");
    expect_str(GET(op, 10), "https");
    expect_str(GET(op, 1), "core_v1");
    /* vendor extensions sorted: action, then group-version-kind, whose value is JSON text (YAML to its readers) */
    expect_str(GET(GET_NTH(op, 13, 0), 1), "x-kubernetes-action");
    expect_str(GET(GET(GET_NTH(op, 13, 0), 2), 2), "\"patch\"");
    expect_str(GET(GET_NTH(op, 13, 1), 1), "x-kubernetes-group-version-kind");
    expect_str(GET(GET(GET_NTH(op, 13, 1), 2), 2), "{\"group\":\"\",\"kind\":\"Pod\",\"version\":\"v1\"}");
    struct span body = GET(GET(GET_NTH(op, 8, 0), 1), 1); /* parameter.body_parameter */
    expect_str(GET(body, 2), "body");
    expect_str(GET(body, 3), "body");
    assert_int_equal(GET_VARINT(body, 4), 1);
    expect_str(GET(GET(body, 5), 1), "#/definitions/P");
    struct span query = GET(GET(GET(GET_NTH(op, 8, 1), 1), 2), 3);
    expect_str(GET(query, 4), "dryRun");
    assert_int_equal(count(query, 20), 0); /* uniqueItems false: not written */
    struct span resps = GET(op, 9);
    assert_int_equal(count(resps, 1), 2);
    struct span ok = GET(GET(GET_NTH(resps, 1, 0), 2), 1); /* NamedResponseValue.value.response */
    expect_str(GET(GET_NTH(resps, 1, 0), 1), "200");
    expect_str(GET(ok, 1), "OK");
    expect_str(GET(GET(GET(ok, 2), 1), 1), "#/definitions/P"); /* schema: SchemaItem.schema._ref */
    /* security: [{BearerToken: []}] and its definition as an api key */
    struct span req = GET(GET(doc, 12), 1);
    expect_str(GET(req, 1), "BearerToken");
    assert_int_equal(GET(req, 2).n, 0);
    struct span sd = GET(GET(doc, 13), 1);
    expect_str(GET(sd, 1), "BearerToken");
    struct span key = GET(GET(sd, 2), 2); /* api_key_security */
    expect_str(GET(key, 1), "apiKey");
    expect_str(GET(key, 2), "authorization");
    expect_str(GET(key, 3), "header");
    free(out);
}

static void
test_schemas(void **state)
{
    (void)state;
    unsigned char *out;
    struct span doc = encode("{'definitions':{'b.B':{'type':'string','format':'int-or-string'},"
                             "'a.A':{'type':'object','required':['spec','name'],"
                             "  'properties':{'spec':{'$ref':'#/definitions/b.B','x-kubernetes-map-type':'atomic'},"
                             "   'list':{'type':'array','items':{'$ref':'#/definitions/b.B','default':{}},"
                             "           'x-kubernetes-list-map-keys':['name','port'],'maxItems':-3},"
                             "   'labels':{'type':'object','additionalProperties':{'type':'string'}},"
                             "   'open':{'type':'object','additionalProperties':false},"
                             "   'tuple':{'type':['array','null'],'items':[{'type':'string'},{'type':'number'}]},"
                             "   'n':{'type':'number','minimum':1.5,'enum':[1,'two',null]}},"
                             "  'x-kubernetes-group-version-kind':[{'group':'apps','kind':'A','version':'v1'}]},"
                             "'x-not-vendor':{}}}",
                             &out);
    struct span defs = GET(doc, 9);
    assert_int_equal(count(defs, 1), 3);
    /* Definitions has no vendor field: an "x-" name is a definition too; all sorted by name */
    expect_str(GET(GET_NTH(defs, 1, 0), 1), "a.A");
    expect_str(GET(GET_NTH(defs, 1, 1), 1), "b.B");
    expect_str(GET(GET_NTH(defs, 1, 2), 1), "x-not-vendor");
    struct span b = GET(GET_NTH(defs, 1, 1), 2);
    expect_str(GET(b, 2), "int-or-string");
    expect_str(GET(GET(b, 22), 1), "string");
    struct span a = GET(GET_NTH(defs, 1, 0), 2);
    expect_str(GET(GET(a, 22), 1), "object");
    assert_int_equal(count(a, 19), 2);
    expect_str(GET_NTH(a, 19, 0), "spec"); /* required keeps its order */
    expect_str(GET_NTH(a, 19, 1), "name");
    expect_str(GET(GET(GET(a, 31), 2), 2), "[{\"group\":\"apps\",\"kind\":\"A\",\"version\":\"v1\"}]");
    struct span props = GET(a, 25);
    assert_int_equal(count(props, 1), 6);
    static const char *const order[] = { "labels", "list", "n", "open", "spec", "tuple" };
    for (int i = 0; i < 6; i++)
        expect_str(GET(GET_NTH(props, 1, i), 1), order[i]);
    struct span labels = GET(GET_NTH(props, 1, 0), 2);
    expect_str(GET(GET(GET(labels, 21), 1), 22), "\n\x06string"); /* additionalProperties.schema.type */
    struct span list = GET(GET_NTH(props, 1, 1), 2);
    struct span item = GET(GET(list, 23), 1); /* ItemsItem: one schema from an object */
    expect_str(GET(item, 1), "#/definitions/b.B");
    expect_str(GET(GET(item, 5), 2), "{}");               /* default: Any */
    assert_int_equal(GET_VARINT(list, 14), (uint64_t)-3); /* maxItems: int64, two's complement */
    assert_int_equal(count(GET(list, 31), 2), 1);
    expect_str(GET(GET(GET(list, 31), 2), 2), "[\"name\",\"port\"]");
    struct span n = GET(GET_NTH(props, 1, 2), 2);
    double min;
    uint64_t bits = GET_FIXED64(n, 9);
    memcpy(&min, &bits, sizeof(min));
    assert_true(min == 1.5);
    assert_int_equal(count(n, 20), 3); /* enum: each an Any */
    expect_str(GET(GET_NTH(n, 20, 1), 2), "\"two\"");
    expect_str(GET(GET_NTH(n, 20, 2), 2), "null");
    struct span open = GET(GET_NTH(props, 1, 3), 2);
    struct fld f = get_at(GET(open, 21), 2, 0, __LINE__); /* additionalProperties.boolean false: written */
    assert_int_equal(f.wt, 0);
    assert_int_equal(f.v, 0);
    struct span spec = GET(GET_NTH(props, 1, 4), 2);
    expect_str(GET(spec, 1), "#/definitions/b.B");
    expect_str(GET(GET(spec, 31), 1), "x-kubernetes-map-type");
    struct span tuple = GET(GET_NTH(props, 1, 5), 2);
    assert_int_equal(count(GET(tuple, 22), 1), 2); /* type as a list */
    assert_int_equal(count(GET(tuple, 23), 1), 2); /* items as a list */
    free(out);
}

static void
test_deterministic(void **state)
{
    (void)state;
    /* the same members inserted in another order give the same bytes */
    json_t *a = J("{'definitions':{'a':{'type':'object','x-b':1,'x-a':2},'b':{}},'swagger':'2.0'}");
    json_t *b = J("{'swagger':'2.0','definitions':{'b':{},'a':{'x-a':2,'x-b':1,'type':'object'}}}");
    unsigned char *oa, *ob;
    size_t la, lb;
    assert_int_equal(kc_gnostic_encode(a, &oa, &la, NULL, 0), 0);
    assert_int_equal(kc_gnostic_encode(b, &ob, &lb, NULL, 0), 0);
    assert_int_equal(la, lb);
    assert_memory_equal(oa, ob, la);
    free(oa);
    free(ob);
    json_decref(a);
    json_decref(b);
}

static void
test_errors(void **state)
{
    (void)state;
    encode_fails("{'swagger':'2.0','nope':1}", KC_EINVALID, "member \"nope\" is not a field of openapi.v2.Document");
    encode_fails("{'swagger':2}", KC_EINVALID, "swagger: an integer where a string goes");
    encode_fails("{'paths':{'/a':{'get':{'deprecated':'yes'}}}}", KC_EINVALID,
                 "paths./a.get.deprecated: a string where a boolean goes");
    encode_fails("{'paths':{'/a':{'get':{'tags':'t'}}}}", KC_EINVALID, "paths./a.get.tags: a string where a list goes");
    encode_fails("{'paths':{'/a':{'get':{'tags':['t',1]}}}}", KC_EINVALID,
                 "paths./a.get.tags[1]: an integer where a string goes");
    encode_fails("{'definitions':{'A':{'maxLength':1.5}}}", KC_EINVALID,
                 "definitions.A.maxLength: a number where an integer goes");
    encode_fails("{'definitions':{'A':{'minimum':'1'}}}", KC_EINVALID, "a string where a number goes");
    encode_fails("{'definitions':{'A':{'type':7}}}", KC_EINVALID, "an integer where a list goes");
    encode_fails("{'definitions':{'A':{'items':'x'}}}", KC_EINVALID, "a string where a list goes");
    encode_fails("{'definitions':{'A':[]}}", KC_EINVALID, "definitions.A: an array where an object");
    encode_fails("{'paths':{'/a':{'parameters':[{'in':'cookie','name':'c'}]}}}", KC_EINVALID,
                 "paths./a.parameters[0]: an object matches no alternative of openapi.v2.NonBodyParameter");
    /* a JSON Reference has no vendor extensions */
    encode_fails("{'paths':{'/a':{'parameters':[{'$ref':'#/p','x-a':1}]}}}", KC_EINVALID,
                 "member \"x-a\" is not a field of openapi.v2.JsonReference");
    encode_fails("{'info':null}", KC_EINVALID, "info: null where an object (openapi.v2.Info) goes");
    encode_fails("[]", KC_EINVALID, "the document is an array, not an object");
    unsigned char *out = NULL;
    size_t len = 0;
    char err[200];
    assert_int_equal(kc_gnostic_encode(NULL, &out, &len, err, sizeof(err)), KC_EINVALID);
    assert_string_equal(err, "the document is missing, not an object");
    json_t *v = J("{}");
    assert_int_equal(kc_gnostic_encode(v, &out, &len, NULL, 0), 0); /* errbuf may be NULL */
    free(out);
    assert_int_equal(kc_gnostic_encode_message(NULL, v, &out, &len, NULL, 0), KC_EINVALID);
    assert_int_equal(kc_gnostic_encode_message(kc_gnostic_find("openapi.v2.NamedAny"), v, &out, &len, err, sizeof(err)),
                     KC_EINVALID);
    assert_non_null(strstr(err, "cannot be written on its own"));
    json_decref(v);
    /* one message on its own: a Schema */
    v = J("{'type':'string'}");
    assert_int_equal(kc_gnostic_encode_message(kc_gnostic_find("openapi.v2.Schema"), v, &out, &len, NULL, 0), 0);
    struct span one = { out, len };
    expect_str(GET(GET(one, 22), 1), "string");
    free(out);
    json_decref(v);
}

static void
test_depth(void **state)
{
    (void)state;
    /* items of items of ...: 30 levels fit, 100 do not */
    for (int depth = 30; depth <= 100; depth += 70) {
        json_t *doc = json_object(), *s = json_object();
        json_object_set_new(doc, "definitions", json_pack("{s:o}", "A", s));
        for (int i = 0; i < depth; i++) {
            json_t *in = json_object();
            json_object_set_new(s, "items", in);
            s = in;
        }
        unsigned char *out = NULL;
        size_t len;
        char err[600];
        int rc = kc_gnostic_encode(doc, &out, &len, err, sizeof(err));
        if (depth == 30) {
            assert_int_equal(rc, 0);
            free(out);
        } else {
            assert_int_equal(rc, KC_EINVALID);
            assert_non_null(strstr(err, "nested deeper than 64"));
            assert_non_null(strstr(err, "definitions.A.items.items"));
        }
        json_decref(doc);
    }
}

/* --- allocation failure --- */

static long fail_at = -1, calls;

static void *
failing_malloc(size_t n)
{
    if (fail_at >= 0 && calls++ == fail_at)
        return NULL;
    return malloc(n);
}

static void
test_allocation_failure(void **state)
{
    (void)state;
    /* big enough to grow the buffer several times */
    json_t *doc = json_object(), *defs = json_object();
    json_object_set_new(doc, "definitions", defs);
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof(name), "io.k8s.S%03d", i);
        json_object_set_new(defs, name,
                            json_pack("{s:s,s:{s:{s:s,s:s}},s:[{s:s,s:i}]}", "type", "object", "properties", "a",
                                      "type", "string", "format", "byte", "x-kubernetes-group-version-kind", "kind",
                                      name, "n", i));
    }
    unsigned char *want;
    size_t wlen;
    assert_int_equal(kc_gnostic_encode(doc, &want, &wlen, NULL, 0), 0);
    assert_true(wlen > 20000);
    int injected = 0;
    for (long nth = 1;; nth = nth < 20 ? nth + 1 : nth * 3 / 2) {
        unsigned char *out = NULL;
        size_t len = 0;
        char err[100] = "";
        kc_fault_arm(KC_FAULT_ALLOC, nth, 0, false);
        int rc = kc_gnostic_encode(doc, &out, &len, err, sizeof(err));
        long n = kc_fault_injected(KC_FAULT_ALLOC);
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (n) {
            injected++;
            assert_int_equal(rc, -ENOMEM);
            assert_null(out);
            assert_non_null(strstr(err, "out of memory"));
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(len, wlen);
            assert_memory_equal(out, want, wlen);
            free(out);
            break;
        }
    }
    assert_true(injected > 10);
    /* jansson's allocator: sorting an Any's keys may fail */
    json_set_alloc_funcs(failing_malloc, free);
    int nomem = 0;
    for (long at = 0; at < 50; at++) {
        unsigned char *out = NULL;
        size_t len = 0;
        fail_at = at;
        calls = 0;
        int rc = kc_gnostic_encode(doc, &out, &len, NULL, 0);
        fail_at = -1;
        if (rc == 0) {
            assert_int_equal(len, wlen);
            free(out);
        } else {
            assert_int_equal(rc, -ENOMEM);
            nomem++;
        }
    }
    json_set_alloc_funcs(malloc, free);
    assert_true(nomem > 0);
    free(want);
    json_decref(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_paths_and_operations),
        cmocka_unit_test(test_schemas),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
