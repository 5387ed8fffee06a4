/* SPDX-License-Identifier: Apache-2.0 */
/* ui.c: the embedded web UI files (ui.h). The table is generated from ui/ at build time, so the
 * binary serves the UI from memory: no files beside it, nothing fetched at run time. */
#include "web/ui.h"

#include "core/sg.h"

#include <string.h>

typedef struct asset {
    const char *path, *type;
    const char *data;
    size_t len;
} asset;

static const asset assets[] = {
#include "ui_assets.inc"
};

bool sg_ui_asset(const char *path, const char **content_type, const uint8_t **data, size_t *len)
{
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    for (size_t i = 0; i < SG_ARRAY_LEN(assets); i++) {
        if (strcmp(assets[i].path, path) == 0) {
            *content_type = assets[i].type;
            *data = (const uint8_t *)assets[i].data;
            *len = assets[i].len;
            return true;
        }
    }
    return false;
}
