/* kc_time.h - wall-clock instants in RFC 3339, as Kubernetes writes metav1.Time and metav1.MicroTime. */
#ifndef KC_TIME_H
#define KC_TIME_H

#include <stdint.h>

#define KC_TIME_BUF 40 /* enough for any text these functions write, NUL included */

struct kc_time {
    int64_t sec;  /* seconds since the Unix epoch, UTC */
    int32_t nsec; /* 0..999999999 */
};

/* Parses RFC 3339 ("2006-01-02T15:04:05Z", "2006-01-02T15:04:05.123456789+02:00"): 'T' and 'Z' upper case as Go
 * requires, 1-9 fraction digits, offsets ±hh:mm up to 23:59. Checks month and day ranges (leap years included) and
 * hours/minutes/seconds (60 is rejected, as Go does). Returns 0 or KC_EINVALID. */
int kc_time_parse(const char *s, struct kc_time *out);

/* metav1.Time form: UTC, whole seconds, "2006-01-02T15:04:05Z". Returns buf. */
char *kc_time_format(struct kc_time t, char buf[KC_TIME_BUF]);

/* metav1.MicroTime form: UTC, "2006-01-02T15:04:05.000000Z". Returns buf. */
char *kc_time_format_micro(struct kc_time t, char buf[KC_TIME_BUF]);

/* RFC 3339 at a fixed offset from UTC in minutes (-1439..1439), whole seconds: "2006-01-02T17:04:05+02:00"; an
 * offset of 0 is written "Z". Returns buf. */
char *kc_time_format_offset(struct kc_time t, int offset_minutes, char buf[KC_TIME_BUF]);

/* The current wall-clock time. */
struct kc_time kc_time_now(void);

/* A monotonic clock in nanoseconds, for deadlines and durations. */
int64_t kc_time_mono_ns(void);

#endif
