/* SPDX-License-Identifier: Apache-2.0 */
/* log.c: formats log lines; one fwrite per line so lines from one process never interleave. */
#include "core/log.h"

#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static sg_log_level g_level = SG_LOG_INFO;
static sg_log_format g_format = SG_LOG_PRETTY;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void sg_log_setup(sg_log_level level, sg_log_format format)
{
    g_level = level;
    g_format = format;
}

int sg_log_parse_level(const char *s, sg_log_level *out)
{
    static const struct { const char *name; sg_log_level level; } map[] = {
        { "debug", SG_LOG_DEBUG }, { "info", SG_LOG_INFO },   { "warn", SG_LOG_WARN },
        { "warning", SG_LOG_WARN }, { "error", SG_LOG_ERROR }, { "fatal", SG_LOG_ERROR },
        { "never", SG_LOG_OFF },
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(map); i++)
        if (strcmp(s, map[i].name) == 0) {
            *out = map[i].level;
            return 0;
        }
    return SG_EINVAL;
}

int sg_log_parse_format(const char *s, sg_log_format *out)
{
    if (strcmp(s, "pretty") == 0 || strcmp(s, "text") == 0)
        *out = SG_LOG_PRETTY;
    else if (strcmp(s, "json") == 0)
        *out = SG_LOG_JSON;
    else
        return SG_EINVAL;
    return 0;
}

bool sg_log_enabled(sg_log_level level)
{
    return level >= g_level && level != SG_LOG_OFF;
}

static void json_escape(sg_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            sg_buf_printf(b, "\\%c", c);
        else if (c < 0x20)
            sg_buf_printf(b, "\\u%04x", c);
        else
            sg_buf_append(b, &c, 1);
    }
}

void sg_log(sg_log_level level, const char *fmt, ...)
{
    if (!sg_log_enabled(level))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);

    sg_buf b;
    sg_buf_init(&b);
    if (g_format == SG_LOG_JSON) {
        sg_buf_printf(&b, "{\"level\":\"%s\",\"ts\":\"%s.%03ldZ\",\"msg\":\"", level_names[level],
                      when, ts.tv_nsec / 1000000);
        json_escape(&b, msg);
        sg_buf_append_str(&b, "\"}\n");
    } else {
        sg_buf_printf(&b, "%s.%03ldZ %-5s %s\n", when, ts.tv_nsec / 1000000, level_names[level],
                      msg);
    }
    fwrite(sg_buf_head(&b), 1, b.len, stderr);
    sg_buf_deinit(&b);
}
