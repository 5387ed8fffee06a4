/* SPDX-License-Identifier: Apache-2.0 */
/* ui.h: the web UI's files, embedded at build time from ui/ (ui.c, tools/gen_ui_assets.py). */
#ifndef SG_WEB_UI_H
#define SG_WEB_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The file served at path ("/" is "/index.html"): its content type and bytes (static). False
 * when there is none. */
bool sg_ui_asset(const char *path, const char **content_type, const uint8_t **data, size_t *len);

#endif
