/* SPDX-License-Identifier: Apache-2.0 */
/* log.h: leveled logging to stderr, as human-readable lines or one JSON object per line. */
#ifndef SG_LOG_H
#define SG_LOG_H

#include "core/sg.h"

typedef enum { SG_LOG_DEBUG, SG_LOG_INFO, SG_LOG_WARN, SG_LOG_ERROR, SG_LOG_OFF } sg_log_level;
typedef enum { SG_LOG_PRETTY, SG_LOG_JSON } sg_log_format;

void sg_log_setup(sg_log_level level, sg_log_format format);
/* Parses "debug|info|warn|error|fatal|never" (Temporal CLI spellings); SG_EINVAL otherwise. */
int sg_log_parse_level(const char *s, sg_log_level *out);
/* Parses "pretty|json" (also "text"); SG_EINVAL otherwise. */
int sg_log_parse_format(const char *s, sg_log_format *out);
bool sg_log_enabled(sg_log_level level);
void sg_log(sg_log_level level, const char *fmt, ...) SG_PRINTF(2, 3);

#define sg_log_debug(...) (sg_log_enabled(SG_LOG_DEBUG) ? sg_log(SG_LOG_DEBUG, __VA_ARGS__) : (void)0)
#define sg_log_info(...) sg_log(SG_LOG_INFO, __VA_ARGS__)
#define sg_log_warn(...) sg_log(SG_LOG_WARN, __VA_ARGS__)
#define sg_log_error(...) sg_log(SG_LOG_ERROR, __VA_ARGS__)

#endif
