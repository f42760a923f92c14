/* kc_log.h - one line per event: `time level component message key=value...`.
 *
 * The level comes from a flag (kc_log_set_level) or the K8C_LOG environment variable (kc_log_init_from_env);
 * the KC_LOG macro compares it before any argument is formatted, so a disabled debug line costs one load.
 * Lines go to stderr unless kc_log_set_output() says otherwise. Thread-safe: each line is written whole.
 */
#ifndef KC_LOG_H
#define KC_LOG_H

#include <stdio.h>

enum kc_log_level {
    KC_LOG_DEBUG = 0,
    KC_LOG_INFO = 1,
    KC_LOG_WARN = 2,
    KC_LOG_ERROR = 3,
    KC_LOG_OFF = 4,
};

extern int kc_log_threshold; /* lines below this level are dropped; read through KC_LOG */

/* Logs msg with optional key=value pairs given as a printf format and its arguments, e.g.
 * KC_LOG(KC_LOG_INFO, "kvstore", "listening", "url=%s", url). The message is quoted when it contains a space,
 * '=' or '"'; newlines anywhere in the line are written as \n so that an event stays one line. */
#define KC_LOG(level, component, msg, ...)                             \
    do {                                                               \
        if ((int)(level) >= kc_log_threshold)                          \
            kc_log_emit((level), (component), (msg), " " __VA_ARGS__); \
    } while (0)

/* Called by KC_LOG; kvfmt starts with the space that separates the pairs from the message. */
void kc_log_emit(enum kc_log_level level, const char *component, const char *msg, const char *kvfmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parses "debug", "info", "warn"/"warning", "error", "off" (any case). Returns 0 or KC_EINVALID. */
int kc_log_parse_level(const char *s, enum kc_log_level *out);

/* Sets the threshold. */
void kc_log_set_level(enum kc_log_level level);

/* Sets the threshold from K8C_LOG when it holds a valid level; the default is info. Returns 0, or KC_EINVALID
 * (and leaves the level unchanged) when K8C_LOG is set to something else. */
int kc_log_init_from_env(void);

/* Directs lines to out (NULL restores stderr). The caller keeps ownership of out. */
void kc_log_set_output(FILE *out);

/* The level's name as written in log lines ("debug", "info", "warn", "error"). */
const char *kc_log_level_name(enum kc_log_level level);

#endif
