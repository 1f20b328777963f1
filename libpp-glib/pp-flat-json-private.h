/* pp-flat-json-private.h
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

/* What _pp_json_u_escape_length() finds instead of an escape. */
#define _PP_JSON_ESCAPE_NOT_HEX   (-1)  /* not \u and 4 hexadecimal digits */
#define _PP_JSON_ESCAPE_LONE_LOW  (-2)  /* a low surrogate, no high one before */
#define _PP_JSON_ESCAPE_LONE_HIGH (-3)  /* a high surrogate, no low one after */

/* The length of the \uXXXX escape at @p (6), or of the surrogate pair it
 * begins (12); a negative _PP_JSON_ESCAPE_* if it is not one or is half
 * of a pair (no character: JSON-GLib leaks on it). Reads nothing at or
 * after @end. Exported for ppd's JSON scanner (ppd/ppd-json.c). */
_PP_EXTERN
int         _pp_json_u_escape_length (const char *p,
                                      const char *end);

G_END_DECLS
