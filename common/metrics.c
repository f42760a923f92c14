/* metrics.c - the metric registry and its Prometheus text rendering. Series are kept in a per-metric array
 * searched linearly: families here have tens of series, not thousands, and updates are rare next to requests. */
#include "kc_metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { COUNTER, GAUGE, HISTOGRAM };

struct series {
    char **values;                     /* one per label */
    double value;                      /* counter/gauge value, histogram sum */
    unsigned long long count;          /* histogram observations */
    unsigned long long *bucket_counts; /* per bucket, not cumulative */
};

struct kc_metric {
    enum kind kind;
    char *name, *help;
    char *labels[KC_METRICS_MAX_LABELS];
    int nlabels;
    double buckets[KC_METRICS_MAX_BUCKETS];
    int nbuckets;
    pthread_mutex_t lock;
    struct series *series;
    size_t nseries, cap;
    struct kc_metric *next; /* registration order */
};

struct kc_metrics {
    pthread_mutex_t lock;
    kc_metric *head, **tail;
};

kc_metrics *
kc_metrics_new(void)
{
    kc_metrics *reg = calloc(1, sizeof(*reg));
    if (!reg)
        return NULL;
    pthread_mutex_init(&reg->lock, NULL);
    reg->tail = &reg->head;
    return reg;
}

static void
metric_free(kc_metric *m)
{
    for (size_t i = 0; i < m->nseries; i++) {
        for (int j = 0; j < m->nlabels; j++)
            free(m->series[i].values[j]);
        free(m->series[i].values);
        free(m->series[i].bucket_counts);
    }
    free(m->series);
    for (int j = 0; j < m->nlabels; j++)
        free(m->labels[j]);
    free(m->name);
    free(m->help);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void
kc_metrics_free(kc_metrics *reg)
{
    if (!reg)
        return;
    for (kc_metric *m = reg->head, *next; m; m = next) {
        next = m->next;
        metric_free(m);
    }
    pthread_mutex_destroy(&reg->lock);
    free(reg);
}

static kc_metric *
metric_new(kc_metrics *reg, enum kind kind, const char *name, const char *help, const char *labels,
           const double *buckets, int nbuckets)
{
    if (nbuckets < 0 || nbuckets > KC_METRICS_MAX_BUCKETS)
        return NULL;
    for (int i = 1; i < nbuckets; i++)
        if (!(buckets[i] > buckets[i - 1]))
            return NULL;
    kc_metric *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->kind = kind;
    m->name = strdup(name);
    m->help = strdup(help ? help : "");
    pthread_mutex_init(&m->lock, NULL);
    if (!m->name || !m->help)
        goto fail;
    for (const char *p = labels; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (m->nlabels == KC_METRICS_MAX_LABELS || len == 0)
            goto fail;
        if (!(m->labels[m->nlabels++] = strndup(p, len)))
            goto fail;
        p = comma ? comma + 1 : p + len;
    }
    if (nbuckets > 0)
        memcpy(m->buckets, buckets, sizeof(double) * (size_t)nbuckets);
    m->nbuckets = nbuckets;

    pthread_mutex_lock(&reg->lock);
    *reg->tail = m;
    reg->tail = &m->next;
    pthread_mutex_unlock(&reg->lock);
    return m;
fail:
    metric_free(m);
    return NULL;
}

kc_metric *
kc_metrics_counter(kc_metrics *reg, const char *name, const char *help, const char *labels)
{
    return metric_new(reg, COUNTER, name, help, labels, NULL, 0);
}

kc_metric *
kc_metrics_gauge(kc_metrics *reg, const char *name, const char *help, const char *labels)
{
    return metric_new(reg, GAUGE, name, help, labels, NULL, 0);
}

kc_metric *
kc_metrics_histogram(kc_metrics *reg, const char *name, const char *help, const char *labels, const double *buckets,
                     int nbuckets)
{
    return metric_new(reg, HISTOGRAM, name, help, labels, buckets, nbuckets);
}

/* The series for values, created when create is set. Called with m->lock held. */
static struct series *
find_series(kc_metric *m, const char *const *values, bool create)
{
    for (size_t i = 0; i < m->nseries; i++) {
        int j = 0;
        while (j < m->nlabels && strcmp(m->series[i].values[j], values[j] ? values[j] : "") == 0)
            j++;
        if (j == m->nlabels)
            return &m->series[i];
    }
    if (!create)
        return NULL;
    if (m->nseries == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 8;
        struct series *s = realloc(m->series, cap * sizeof(*s));
        if (!s)
            return NULL;
        m->series = s;
        m->cap = cap;
    }
    struct series *s = &m->series[m->nseries];
    memset(s, 0, sizeof(*s));
    s->values = calloc((size_t)(m->nlabels ? m->nlabels : 1), sizeof(char *));
    if (!s->values)
        return NULL;
    for (int j = 0; j < m->nlabels; j++) {
        if (!(s->values[j] = strdup(values[j] ? values[j] : ""))) {
            while (j-- > 0)
                free(s->values[j]);
            free(s->values);
            return NULL;
        }
    }
    if (m->kind == HISTOGRAM && m->nbuckets > 0) {
        s->bucket_counts = calloc((size_t)m->nbuckets, sizeof(*s->bucket_counts));
        if (!s->bucket_counts) {
            for (int j = 0; j < m->nlabels; j++)
                free(s->values[j]);
            free(s->values);
            return NULL;
        }
    }
    m->nseries++;
    return s;
}

void
kc_metric_add(kc_metric *m, const char *const *values, double v)
{
    if (m->kind == HISTOGRAM || (m->kind == COUNTER && v < 0))
        return;
    pthread_mutex_lock(&m->lock);
    struct series *s = find_series(m, values, true);
    if (s)
        s->value += v;
    pthread_mutex_unlock(&m->lock);
}

void
kc_metric_set(kc_metric *m, const char *const *values, double v)
{
    if (m->kind != GAUGE)
        return;
    pthread_mutex_lock(&m->lock);
    struct series *s = find_series(m, values, true);
    if (s)
        s->value = v;
    pthread_mutex_unlock(&m->lock);
}

void
kc_metric_observe(kc_metric *m, const char *const *values, double v)
{
    if (m->kind != HISTOGRAM)
        return;
    pthread_mutex_lock(&m->lock);
    struct series *s = find_series(m, values, true);
    if (s) {
        s->value += v;
        s->count++;
        for (int i = 0; i < m->nbuckets; i++) {
            if (v <= m->buckets[i]) {
                s->bucket_counts[i]++;
                break;
            }
        }
    }
    pthread_mutex_unlock(&m->lock);
}

double
kc_metric_value(kc_metric *m, const char *const *values)
{
    pthread_mutex_lock(&m->lock);
    struct series *s = find_series(m, values, false);
    double v = !s ? 0 : m->kind == HISTOGRAM ? (double)s->count : s->value;
    pthread_mutex_unlock(&m->lock);
    return v;
}

/* Writes a label value escaped as the text format requires: backslash, double quote and newline. */
static void
put_escaped(FILE *f, const char *s, bool help)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else if (*s == '"' && !help)
            fputs("\\\"", f);
        else
            fputc(*s, f);
    }
}

/* The shortest text that reads back as v, as Go's strconv.FormatFloat(v, 'g', -1, 64) gives (0.1, not
 * 0.10000000000000001), which is what Prometheus clients write. */
/* Go's strconv.FormatFloat(v, 'g', -1, 64), which Prometheus clients write: the shortest digits that read back
 * as v, in exponent form when the decimal exponent is below -4 or at least 6 (Go's rule for the shortest
 * precision), so 80 is "80", 1234567 is "1.234567e+06" and 1e21 is "1e+21". */
static void
format_number(double v, char buf[40])
{
    if (isinf(v)) {
        strcpy(buf, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (isnan(v)) {
        strcpy(buf, "NaN");
        return;
    }
    if (v == 0) {
        strcpy(buf, "0");
        return;
    }
    char e[40];
    int prec;
    for (prec = 0; prec < 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec, v);
        if (strtod(e, NULL) == v)
            break;
    }
    int exp = atoi(strchr(e, 'e') + 1);
    if (exp < -4 || exp >= 6) {
        snprintf(buf, 40, "%s", e); /* C's %e writes at least two exponent digits, as Go does */
        return;
    }
    int decimals = prec - exp;
    snprintf(buf, 40, "%.*f", decimals > 0 ? decimals : 0, v);
}

static void
put_number(FILE *f, double v)
{
    char buf[40];
    format_number(v, buf);
    fputs(buf, f);
}

/* Writes {a="x",b="y"[,le="..."]} (nothing when there are no labels and no le). */
static void
put_labels(FILE *f, const kc_metric *m, const struct series *s, const char *le)
{
    if (m->nlabels == 0 && !le)
        return;
    fputc('{', f);
    for (int j = 0; j < m->nlabels; j++) {
        fprintf(f, "%s%s=\"", j ? "," : "", m->labels[j]);
        put_escaped(f, s->values[j], false);
        fputc('"', f);
    }
    if (le)
        fprintf(f, "%sle=\"%s\"", m->nlabels ? "," : "", le);
    fputc('}', f);
}

char *
kc_metrics_render(kc_metrics *reg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    pthread_mutex_lock(&reg->lock);
    for (kc_metric *m = reg->head; m; m = m->next) {
        static const char *const types[] = { "counter", "gauge", "histogram" };
        fprintf(f, "# HELP %s ", m->name);
        put_escaped(f, m->help, true);
        fprintf(f, "\n# TYPE %s %s\n", m->name, types[m->kind]);
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->nseries; i++) {
            const struct series *s = &m->series[i];
            if (m->kind != HISTOGRAM) {
                fputs(m->name, f);
                put_labels(f, m, s, NULL);
                fputc(' ', f);
                put_number(f, s->value);
                fputc('\n', f);
                continue;
            }
            unsigned long long cumulative = 0;
            for (int b = 0; b <= m->nbuckets; b++) {
                char le[40];
                if (b < m->nbuckets) {
                    cumulative += s->bucket_counts[b];
                    format_number(m->buckets[b], le);
                } else {
                    cumulative = s->count;
                    snprintf(le, sizeof(le), "+Inf");
                }
                fprintf(f, "%s_bucket", m->name);
                put_labels(f, m, s, le);
                fprintf(f, " %llu\n", cumulative);
            }
            fprintf(f, "%s_sum", m->name);
            put_labels(f, m, s, NULL);
            fputc(' ', f);
            put_number(f, s->value);
            fprintf(f, "\n%s_count", m->name);
            put_labels(f, m, s, NULL);
            fprintf(f, " %llu\n", s->count);
        }
        pthread_mutex_unlock(&m->lock);
    }
    pthread_mutex_unlock(&reg->lock);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
