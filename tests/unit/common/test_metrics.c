/* test_metrics.c - counters, gauges, histograms with labels and their exact Prometheus text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_metrics.h"

static void
test_render(void **state)
{
    (void)state;
    kc_metrics *reg = kc_metrics_new();
    kc_metric *req = kc_metrics_counter(reg, "k8c_requests_total", "Requests by verb and code.", "verb,code");
    kc_metric *inflight = kc_metrics_gauge(reg, "k8c_inflight", "Requests in flight.", NULL);
    static const double b[] = { 0.001, 0.01, 0.1 };
    kc_metric *lat = kc_metrics_histogram(reg, "k8c_latency_seconds", "Latency.", "verb", b, 3);
    assert_non_null(req);
    assert_non_null(inflight);
    assert_non_null(lat);

    kc_metric_add(req, (const char *[]){ "GET", "200" }, 1);
    kc_metric_add(req, (const char *[]){ "GET", "200" }, 2);
    kc_metric_add(req, (const char *[]){ "PUT", "409" }, 1);
    kc_metric_add(req, (const char *[]){ "PUT", "409" }, -5); /* counters never go down */
    kc_metric_set(inflight, NULL, 3);
    kc_metric_add(inflight, NULL, -1);
    kc_metric_observe(lat, (const char *[]){ "GET" }, 0.0005);
    kc_metric_observe(lat, (const char *[]){ "GET" }, 0.05);
    kc_metric_observe(lat, (const char *[]){ "GET" }, 2);

    assert_true(kc_metric_value(req, (const char *[]){ "GET", "200" }) == 3);
    assert_true(kc_metric_value(req, (const char *[]){ "GET", "404" }) == 0);
    assert_true(kc_metric_value(lat, (const char *[]){ "GET" }) == 3);

    char *text = kc_metrics_render(reg);
    assert_string_equal(text, "# HELP k8c_requests_total Requests by verb and code.\n"
                              "# TYPE k8c_requests_total counter\n"
                              "k8c_requests_total{verb=\"GET\",code=\"200\"} 3\n"
                              "k8c_requests_total{verb=\"PUT\",code=\"409\"} 1\n"
                              "# HELP k8c_inflight Requests in flight.\n"
                              "# TYPE k8c_inflight gauge\n"
                              "k8c_inflight 2\n"
                              "# HELP k8c_latency_seconds Latency.\n"
                              "# TYPE k8c_latency_seconds histogram\n"
                              "k8c_latency_seconds_bucket{verb=\"GET\",le=\"0.001\"} 1\n"
                              "k8c_latency_seconds_bucket{verb=\"GET\",le=\"0.01\"} 1\n"
                              "k8c_latency_seconds_bucket{verb=\"GET\",le=\"0.1\"} 2\n"
                              "k8c_latency_seconds_bucket{verb=\"GET\",le=\"+Inf\"} 3\n"
                              "k8c_latency_seconds_sum{verb=\"GET\"} 2.0505\n"
                              "k8c_latency_seconds_count{verb=\"GET\"} 3\n");
    free(text);
    kc_metrics_free(reg);
}

static void
test_go_float_format(void **state)
{
    (void)state;
    kc_metrics *reg = kc_metrics_new();
    kc_metric *g = kc_metrics_gauge(reg, "g", "", NULL);
    /* strconv.FormatFloat(v, 'g', -1, 64) */
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        { 80, "80" },         { 1, "1" },           { 123456, "123456" }, { 1234567, "1.234567e+06" },
        { 0.5, "0.5" },       { 0.0001, "0.0001" }, { 0.00001, "1e-05" }, { 1e21, "1e+21" },
        { 2.0505, "2.0505" }, { 0, "0" },           { -3.25, "-3.25" },   { 123456789.125, "1.23456789125e+08" }
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kc_metric_set(g, NULL, cases[i].v);
        char *text = kc_metrics_render(reg), want[64];
        snprintf(want, sizeof(want), "\ng %s\n", cases[i].text);
        if (!strstr(text, want))
            fail_msg("%.17g: got %s", cases[i].v, text);
        free(text);
    }
    kc_metrics_free(reg);
}

static void
test_escaping_and_errors(void **state)
{
    (void)state;
    kc_metrics *reg = kc_metrics_new();
    kc_metric *c = kc_metrics_counter(reg, "x_total", "help with \\ and\nnewline", "path");
    kc_metric_add(c, (const char *[]){ "a\"b\\c\nd" }, 1);
    char *text = kc_metrics_render(reg);
    assert_non_null(strstr(text, "# HELP x_total help with \\\\ and\\nnewline\n"));
    assert_non_null(strstr(text, "x_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"));
    free(text);
    static const double bad[] = { 1, 1 };
    assert_null(kc_metrics_histogram(reg, "h", "", NULL, bad, 2));
    assert_null(kc_metrics_counter(reg, "y", "", "a,b,c,d,e,f,g"));
    assert_null(kc_metrics_counter(reg, "z", "", "a,,b"));
    kc_metrics_free(reg);
}

static kc_metric *shared;

static void *
hammer(void *arg)
{
    const char *label = arg;
    for (int i = 0; i < 10000; i++)
        kc_metric_add(shared, (const char *[]){ label }, 1);
    return NULL;
}

static void
test_threads(void **state)
{
    (void)state;
    kc_metrics *reg = kc_metrics_new();
    shared = kc_metrics_counter(reg, "c_total", "", "t");
    pthread_t t[4];
    static const char *const labels[] = { "a", "b", "a", "b" };
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, (void *)labels[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_true(kc_metric_value(shared, (const char *[]){ "a" }) == 20000);
    assert_true(kc_metric_value(shared, (const char *[]){ "b" }) == 20000);
    kc_metrics_free(reg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_escaping_and_errors),
        cmocka_unit_test(test_go_float_format),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
