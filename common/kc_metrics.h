/* kc_metrics.h - counters, gauges and histograms with labels, rendered in the Prometheus text format (0.0.4) for
 * the daemons' /metrics endpoints.
 *
 * A registry holds metrics; a metric holds one series per distinct tuple of label values. Updates are
 * thread-safe (a mutex per metric, held for a lookup and an add). Metric and label names are not validated
 * beyond being non-empty: they are compile-time constants of the caller.
 */
#ifndef KC_METRICS_H
#define KC_METRICS_H

#include <stddef.h>

typedef struct kc_metrics kc_metrics; /* a registry */
typedef struct kc_metric kc_metric;   /* one metric family */

#define KC_METRICS_MAX_LABELS  6
#define KC_METRICS_MAX_BUCKETS 24

/* A new, empty registry. Returns NULL on allocation failure. Free with kc_metrics_free (which frees its metrics). */
kc_metrics *kc_metrics_new(void);
void kc_metrics_free(kc_metrics *reg);

/* Registers a metric family. labels is a comma-separated list of label names ("verb,resource,code") or NULL for
 * none. For histograms, buckets are the upper bounds in increasing order (+Inf is implied). Returns the metric,
 * owned by the registry, or NULL on allocation failure, more than KC_METRICS_MAX_LABELS labels or
 * KC_METRICS_MAX_BUCKETS buckets, or non-increasing buckets. */
kc_metric *kc_metrics_counter(kc_metrics *reg, const char *name, const char *help, const char *labels);
kc_metric *kc_metrics_gauge(kc_metrics *reg, const char *name, const char *help, const char *labels);
kc_metric *kc_metrics_histogram(kc_metrics *reg, const char *name, const char *help, const char *labels,
                                const double *buckets, int nbuckets);

/* Adds v to a counter (v must be ≥ 0; negative values are ignored) or a gauge. values holds one string per
 * label, in the registered order (NULL when the metric has no labels). Silently drops the update when a new
 * series cannot be allocated. */
void kc_metric_add(kc_metric *m, const char *const *values, double v);

/* Sets a gauge. */
void kc_metric_set(kc_metric *m, const char *const *values, double v);

/* Records one observation in a histogram. */
void kc_metric_observe(kc_metric *m, const char *const *values, double v);

/* The current value of a counter or gauge series, or the count of a histogram series; 0 when the series does not
 * exist. For tests and internal checks. */
double kc_metric_value(kc_metric *m, const char *const *values);

/* Numbers are written as Go's strconv.FormatFloat(v, 'g', -1, 64), as Prometheus clients write them. */

/* Renders every metric in registration order, series in creation order. Returns a malloc'ed string the caller
 * frees, or NULL on allocation failure. */
char *kc_metrics_render(kc_metrics *reg);

#endif
