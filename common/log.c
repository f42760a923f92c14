/* log.c - the line logger behind KC_LOG. */
#include "kc_log.h"
#include "kc_error.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int kc_log_threshold = KC_LOG_INFO;
static FILE *log_out;

static const char *const level_names[] = { "debug", "info", "warn", "error", "off" };

const char *
kc_log_level_name(enum kc_log_level level)
{
    return (unsigned)level <= KC_LOG_OFF ? level_names[level] : "?";
}

int
kc_log_parse_level(const char *s, enum kc_log_level *out)
{
    if (!s)
        return KC_EINVALID;
    for (int i = 0; i <= KC_LOG_OFF; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (enum kc_log_level)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = KC_LOG_WARN;
        return 0;
    }
    return KC_EINVALID;
}

void
kc_log_set_level(enum kc_log_level level)
{
    __atomic_store_n(&kc_log_threshold, (int)level, __ATOMIC_RELAXED);
}

int
kc_log_init_from_env(void)
{
    const char *env = getenv("K8C_LOG");
    enum kc_log_level level;

    if (!env || !*env)
        return 0;
    if (kc_log_parse_level(env, &level) != 0)
        return KC_EINVALID;
    kc_log_set_level(level);
    return 0;
}

void
kc_log_set_output(FILE *out)
{
    log_out = out;
}

/* Appends s to buf[*n..cap), escaping newlines (and, when quoting, quotes and backslashes). */
static void
append(char *buf, size_t *n, size_t cap, const char *s, int quote)
{
    for (; *s && *n + 2 < cap; s++) {
        if (*s == '\n' || *s == '\r') {
            buf[(*n)++] = '\\';
            buf[(*n)++] = *s == '\n' ? 'n' : 'r';
        } else if (quote && (*s == '"' || *s == '\\')) {
            buf[(*n)++] = '\\';
            buf[(*n)++] = *s;
        } else {
            buf[(*n)++] = *s;
        }
    }
}

void
kc_log_emit(enum kc_log_level level, const char *component, const char *msg, const char *kvfmt, ...)
{
    char line[4096], kv[3072];
    size_t n = 0;
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof(line) - n, ".%06ldZ %s %s ", ts.tv_nsec / 1000, kc_log_level_name(level),
                          component ? component : "-");

    int quote = msg && (msg[0] == '\0' || strpbrk(msg, " =\"") != NULL);
    if (quote)
        line[n++] = '"';
    append(line, &n, sizeof(line) - 1, msg ? msg : "", quote);
    if (quote && n < sizeof(line) - 1)
        line[n++] = '"';

    if (kvfmt && *kvfmt) {
        va_list ap;
        va_start(ap, kvfmt);
        vsnprintf(kv, sizeof(kv), kvfmt, ap);
        va_end(ap);
        if (kv[0] && kv[strspn(kv, " ")] != '\0')
            append(line, &n, sizeof(line) - 1, kv, 0);
    }
    line[n++] = '\n';
    fwrite(line, 1, n, log_out ? log_out : stderr); /* one stdio call: POSIX locks the stream around it */
    fflush(log_out ? log_out : stderr);
}
