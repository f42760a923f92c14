/* time.c - RFC 3339 parsing and formatting without the C library's time zone state. */
#include "kc_time.h"
#include "kc_error.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static bool
is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Reads exactly n digits at *p into *v. */
static bool
digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        x = x * 10 + (c - '0');
    }
    *p += n;
    *v = x;
    return true;
}

int
kc_time_parse(const char *s, struct kc_time *out)
{
    const char *p = s;
    int year, mon, day, hh, mm, ss, nsec = 0;

    if (!s || !digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &mon) || *p++ != '-' || !digits(&p, 2, &day) ||
        *p++ != 'T' || !digits(&p, 2, &hh) || *p++ != ':' || !digits(&p, 2, &mm) || *p++ != ':' || !digits(&p, 2, &ss))
        return KC_EINVALID;
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hh > 23 || mm > 59 || ss > 59)
        return KC_EINVALID;
    if (*p == '.') {
        int n = 0;
        p++;
        while (*p >= '0' && *p <= '9') {
            if (++n > 9)
                return KC_EINVALID;
            nsec = nsec * 10 + (*p++ - '0');
        }
        if (n == 0)
            return KC_EINVALID;
        for (; n < 9; n++)
            nsec *= 10;
    }
    int offset = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
            return KC_EINVALID;
        offset = sign * (oh * 60 + om);
    } else {
        return KC_EINVALID;
    }
    if (*p != '\0')
        return KC_EINVALID;
    out->sec = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss - (int64_t)offset * 60;
    out->nsec = nsec;
    return 0;
}

/* v as width decimal digits, zero-padded (v < 10^width). */
static char *
put_digits(char *p, long long v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + width;
}

/* Writes "YYYY-MM-DDTHH:MM:SS" (and ".ffffff" for 6 frac_digits) with its NUL; returns its length. Digits by hand:
 * a create writes several timestamps, and snprintf was a good part of its metadata's cost. */
static int
format_at(struct kc_time t, int offset_minutes, int frac_digits, char *buf)
{
    int64_t local = t.sec + (int64_t)offset_minutes * 60;
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    int64_t secs = local - days * 86400, y;
    int m, d;

    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) { /* what %04lld writes: a sign, or more digits */
        int n = snprintf(buf, KC_TIME_BUF, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y, m, d, (int)(secs / 3600),
                         (int)(secs / 60 % 60), (int)(secs % 60));
        if (frac_digits == 6)
            n += snprintf(buf + n, KC_TIME_BUF - (size_t)n, ".%06d", t.nsec / 1000);
        return n;
    }
    char *p = buf;
    p = put_digits(p, y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, secs / 3600, 2);
    *p++ = ':';
    p = put_digits(p, secs / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, secs % 60, 2);
    if (frac_digits == 6) {
        *p++ = '.';
        p = put_digits(p, t.nsec / 1000, 6);
    }
    *p = '\0';
    return (int)(p - buf);
}

char *
kc_time_format(struct kc_time t, char buf[KC_TIME_BUF])
{
    int n = format_at(t, 0, 0, buf);
    memcpy(buf + n, "Z", 2); /* at most 26 bytes written: room is left */
    return buf;
}

char *
kc_time_format_micro(struct kc_time t, char buf[KC_TIME_BUF])
{
    int n = format_at(t, 0, 6, buf);
    memcpy(buf + n, "Z", 2);
    return buf;
}

char *
kc_time_format_offset(struct kc_time t, int offset_minutes, char buf[KC_TIME_BUF])
{
    if (offset_minutes < -1439 || offset_minutes > 1439)
        offset_minutes = 0;
    int n = format_at(t, offset_minutes, 0, buf);
    if (offset_minutes == 0) {
        snprintf(buf + n, KC_TIME_BUF - (size_t)n, "Z");
    } else {
        int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
        snprintf(buf + n, KC_TIME_BUF - (size_t)n, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
    }
    return buf;
}

struct kc_time
kc_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (struct kc_time){ .sec = ts.tv_sec, .nsec = (int32_t)ts.tv_nsec };
}

int64_t
kc_time_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
