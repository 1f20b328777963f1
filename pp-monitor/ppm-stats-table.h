/* ppm-stats-table.h: pp's print_stats table as text, aligned in any language
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

guint ppm_stats_table_display_width (const char  *text);
char *ppm_stats_table_format_with   (JsonObject  *status,
                                     const char **headers) G_GNUC_WARN_UNUSED_RESULT;
char *ppm_stats_table_format        (JsonObject  *status) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
