/* pp-flat-json-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Parses the common shape of a frame header — one flat JSON object whose
 * values are strings without escapes, numbers, true, false or null — much
 * faster than JsonParser. Returns %NULL for anything else (not an error:
 * the caller then parses with json-glib, which decides). */
JsonObject *_pp_flat_json_parse (const char *text,
                                 gsize       length);
gboolean    _pp_flat_json_check_strict (const char  *text,
                                        gsize        length,
                                        GError     **error);
gboolean    _pp_flat_json_is_safe (const char  *text,
                                        gsize        length);

G_END_DECLS
