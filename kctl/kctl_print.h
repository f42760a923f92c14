/* kctl_print.h - kctl's pure output modules: kubectl's JSONPath templates, its tab writer and Table layout, the
 * -o json|yaml|name|jsonpath|custom-columns printers, and the small formatting rules they share. No I/O besides
 * writing to the FILE given, no clock (callers pass "now"), no globals: everything here is unit-tested alone. */
#ifndef KCTL_PRINT_H
#define KCTL_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* --- JSONPath (jsonpath.c): k8s.io/client-go/util/jsonpath --------------------------------------------------
 * Templates are text with {actions}: fields .a.b (names may hold '/', '-', escaped '\.'), ['key'], [n], [-1],
 * [a:b:c], [*], unions [0,2] and ['a','b'], .* , recursive descent .., filters [?(@.x=="y")] with == != < > <=
 * >= or existence [?(@.x)], quoted text {"\n"}, numbers, true/false, and {range EXPR}...{end}. */
struct kctl_jsonpath;

/* Parses tmpl. Returns 0 and *out (free with kctl_jsonpath_free), KC_EPARSE with kubectl's parser message in err
 * ("unclosed action", "unterminated filter", "invalid array index x", ...), -ENOMEM. */
int kctl_jsonpath_parse(const char *tmpl, struct kctl_jsonpath **out, char *err, size_t errlen);
void kctl_jsonpath_free(struct kctl_jsonpath *jp);

/* Runs the template on data and writes its text to out as kubectl's -o jsonpath does: the results of one action
 * separated by a space, scalars as Go's fmt prints them, maps and lists as compact JSON with sorted keys. With
 * allow_missing (kubectl's default) a missing key yields nothing; otherwise it is an error ("x is not found").
 * Returns 0, KC_EINVALID with the message in err (index out of bounds, filter on a non-list, incompatible types
 * for comparison, ...), -ENOMEM. On error some text may already be written. */
int kctl_jsonpath_exec(const struct kctl_jsonpath *jp, const json_t *data, bool allow_missing, FILE *out, char *err,
                       size_t errlen);

/* The values the template's actions find in data, in order (for custom-columns and --sort-by: templates of one
 * action): *results is a new JSON array the caller owns (the values are referenced, not copied). Missing keys give
 * an empty array. Returns 0, KC_EINVALID (message in err), -ENOMEM. */
int kctl_jsonpath_find(const struct kctl_jsonpath *jp, const json_t *data, json_t **results, char *err, size_t errlen);

/* kubectl's RelaxedJSONPathExpression: "a.b", ".a.b", "{a.b}" and "{.a.b}" all become "{.a.b}" in buf. Returns 0,
 * KC_EINVALID ("unexpected path string, expected a 'name1.name2' or ..."), -ENAMETOOLONG. */
int kctl_jsonpath_relaxed(const char *expr, char *buf, size_t len);

/* --- formatting rules (print_fmt.c) -------------------------------------------------------------------------- */

/* Writes v as Go's fmt.Sprint of the decoded JSON value: strings raw, integers, floats as %v, true/false, null as
 * "<nil>", objects as map[k:v ...] (keys sorted), arrays as [a b]. */
void kctl_go_sprint(const json_t *v, FILE *out);

/* Writes v as Go's fmt %#v of the decoded JSON value: map[string]interface {}{"k":1}, []interface {}{"a"},
 * strings quoted as strconv.Quote, null as interface {}(nil). */
void kctl_go_gostring(const json_t *v, FILE *out);

/* Writes v as Go's json.Marshal would (keys sorted, <>& escaped as \u003c \u003e \u0026); indent 0 = compact,
 * else MarshalIndent with that many spaces. Returns 0 or -ENOMEM. */
int kctl_go_json(const json_t *v, int indent, FILE *out);

/* apimachinery's duration.HumanDuration for a number of seconds: "5s", "3m20s", "10m", "5h3m", "2d4h", "3y". */
void kctl_human_duration(int64_t seconds, char *buf, size_t len);

/* The age of an RFC 3339 timestamp at now (Unix seconds), as kubectl's translateTimestampSince: "<unknown>" for a
 * missing or unparsable one. */
void kctl_age(const char *timestamp, int64_t now, char *buf, size_t len);

/* sortorder.NaturalLess: digit runs compare as numbers ("pod2" < "pod10"). */
bool kctl_natural_less(const char *a, const char *b);

/* labels.FormatLabels: "a=1,b=2" sorted by key, "<none>" when obj is empty or NULL. Caller frees. */
char *kctl_format_labels(const json_t *labels);

/* --- the tab writer (print_table.c): kubectl's fork of text/tabwriter ----------------------------------------
 * Cells are separated by '\t', lines by '\n'; a cell that ends with '\t' belongs to a column whose width is the
 * widest such cell in the block of adjacent lines + 3, at least 6; the last cell of a line is written as it is.
 * Widths are remembered across flushes (watch output keeps its columns) until kctl_tabwriter_reset_widths. */
struct kctl_tabwriter;

struct kctl_tabwriter *kctl_tabwriter_new(FILE *out);
/* A writer with other parameters: describe uses Go's plain text/tabwriter (min width 0, padding 2, no remembered
 * widths). */
struct kctl_tabwriter *kctl_tabwriter_new_opts(FILE *out, size_t minwidth, size_t padding, bool remember);
/* Appends text (any number of cells and lines); formatting happens at flush. Returns 0 or -ENOMEM. */
int kctl_tabwriter_write(struct kctl_tabwriter *tw, const char *text, size_t len);
int kctl_tabwriter_printf(struct kctl_tabwriter *tw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Formats and writes everything buffered (complete lines; a trailing partial line is written as well). */
void kctl_tabwriter_flush(struct kctl_tabwriter *tw);
void kctl_tabwriter_reset_widths(struct kctl_tabwriter *tw);
/* Flushes and frees. NULL is fine. */
void kctl_tabwriter_free(struct kctl_tabwriter *tw);

/* --- Tables (print_table.c): meta.k8s.io/v1 Table as kubectl's human-readable printer lays it out --------- */
struct kctl_table_opts {
    bool wide;                 /* -o wide: priority > 0 columns too */
    bool no_headers;           /* --no-headers */
    bool with_namespace;       /* -A: a NAMESPACE column first */
    bool show_labels;          /* --show-labels: a LABELS column last */
    const char *kind;          /* --show-kind or several kinds: names as "kind/name" ("deployment.apps"); NULL */
    const char *label_columns; /* -L a,b: one column per label key */
};

/* The printer's memory between tables (watch events reuse the columns of the list). Zero it to start. */
struct kctl_table_state {
    json_t *columns;     /* the last column definitions seen (owned) */
    bool printed_header; /* a header for those columns is out */
};

void kctl_table_state_close(struct kctl_table_state *st);

/* Writes table's rows (and the header unless no_headers, already printed for the same columns, or there are no
 * rows) to tw. A table without columnDefinitions (a watch event) uses the last ones. Returns the number of rows,
 * or KC_EINVALID when table is not a Table. */
int kctl_table_print(struct kctl_tabwriter *tw, const json_t *table, const struct kctl_table_opts *o,
                     struct kctl_table_state *st);

/* Sorts the rows of table in place by the JSONPath sort_by evaluated on objs[i] (the object of row i; rows whose
 * value is missing come first; numbers numerically, RFC 3339 times chronologically, strings naturally). objs is a
 * JSON array parallel to the rows. Returns 0, KC_EINVALID (bad path; message in err), -ENOMEM. */
int kctl_table_sort(json_t *table, const json_t *objs, const char *sort_by, char *err, size_t errlen);

/* Sorts a JSON array of objects in place the same way. */
int kctl_objects_sort(json_t *items, const char *sort_by, char *err, size_t errlen);

/* --- objects (print_obj.c) ----------------------------------------------------------------------------------- */

/* -o json: Go's MarshalIndent with 4 spaces, keys sorted, and a final newline. */
int kctl_print_json(const json_t *obj, FILE *out);

/* -o yaml: kc_yaml_dump with sorted keys (kubectl marshals maps). */
int kctl_print_yaml(const json_t *obj, FILE *out);

/* The `kind: List` document kubectl prints for several objects: {"apiVersion":"v1","items":[...],"kind":"List",
 * "metadata":{"resourceVersion":""}}. items is referenced, not copied. */
json_t *kctl_list_wrap(json_t *items);

/* "deployment.apps/web": the -o name of an object of kind/group. */
void kctl_object_name(const char *kind, const char *group, const char *name, char *buf, size_t len);

/* Parses custom-columns=SPEC ("NAME:.metadata.name,IP:.status.podIP"). Returns 0, KC_EINVALID with kubectl's
 * message ("unexpected custom-columns spec: x, expected <header>:<json-path-expr>"), -ENOMEM. */
struct kctl_columns;
int kctl_columns_parse(const char *spec, struct kctl_columns **out, char *err, size_t errlen);
void kctl_columns_free(struct kctl_columns *cc);
/* Writes the header (unless no_headers) and one line per object of the array objs; a value not found prints
 * "<none>", several values are joined by ','. Returns 0, KC_EINVALID (message in err), -ENOMEM. */
int kctl_columns_print(const struct kctl_columns *cc, const json_t *objs, bool no_headers, struct kctl_tabwriter *tw,
                       char *err, size_t errlen);

/* --- describe (print_describe.c): kubectl describe's layouts ------------------------------------------------ */

/* What a describer needs besides the object; fields unused by a kind stay NULL. */
struct kctl_describe_ctx {
    int64_t now;               /* Unix seconds, for ages */
    const json_t *events;      /* the object's events (an array), or NULL for --show-events=false */
    const json_t *pods;        /* node: its non-terminated pods; pvc: the pods using it; controllers: their pods */
    const json_t *replicasets; /* deployment: the replica sets it owns */
    const json_t *lease;       /* node: its Lease, or NULL with lease_error set */
    const char *lease_error;   /* node: why there is no lease ("leases.coordination.k8s.io \"n\" not found") */
    const json_t *slices;      /* service: its EndpointSlices (an array, or NULL) */
    const json_t *backends;    /* ingress: service name -> {"service": Service, "slices": [...]} or
                                  {"error": "services \"x\" not found"} */
    const json_t *quotas;      /* namespace: ResourceQuota items, NULL when the server has none */
    const json_t *limitranges; /* namespace: LimitRange items, NULL when the server has none */
};

/* Writes the description of obj (of kind/group) as kubectl describe does; kinds without their own describer get
 * kubectl's generic one. Returns 0 or -ENOMEM. */
int kctl_describe_object(const char *kind, const char *group, const json_t *obj, const struct kctl_describe_ctx *ctx,
                         FILE *out);

/* True when kind/group has its own describer here (else the generic one is used). */
bool kctl_describe_has(const char *kind, const char *group);

#endif
