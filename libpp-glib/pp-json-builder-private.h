/* pp-json-builder-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#ifdef PP_COMPILATION
# include "pp-version-macros.h"
#else
# include <pp-glib.h>
#endif

G_BEGIN_DECLS

/* One member of the object @builder is in, in one call: the status
 * documents (pp-server-status.c, pp-node-service-status.c) are built of
 * these. */

/* @value, or null when it is %NULL. */
/* json_to_string() with every control character escaped: json-glib 1.6
 * writes U+001F raw, which no JSON parser takes. */
char *_pp_json_to_string           (JsonNode    *root);
/* Fixes such a string (takes @json, returns it or a new one). Exported
 * for ppd's HTTP answers. */
_PP_EXTERN
char *_pp_json_escape_unit_separator (char      *json);
void _pp_json_add_string_or_null   (JsonBuilder *builder,
                                    const char  *member,
                                    const char  *value);
/* @value, or null when it is %NULL or empty. */
void _pp_json_add_nonempty_or_null (JsonBuilder *builder,
                                    const char  *member,
                                    const char  *value);
void _pp_json_add_int              (JsonBuilder *builder,
                                    const char  *member,
                                    gint64       value);
void _pp_json_add_double           (JsonBuilder *builder,
                                    const char  *member,
                                    double       value);
void _pp_json_add_boolean          (JsonBuilder *builder,
                                    const char  *member,
                                    gboolean     value);

G_END_DECLS
