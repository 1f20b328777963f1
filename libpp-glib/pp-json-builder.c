/* pp-json-builder.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "pp-json-builder-private.h"

char *
_pp_json_escape_unit_separator (char *json)
{
  GString *fixed;

  if (strchr (json, 0x1f) == NULL)
    return json;
  /* Outside strings JSON text has no control characters: every one is in
   * a string, where it must be escaped. */
  fixed = g_string_sized_new (strlen (json) + 16);
  for (const char *p = json; *p != '\0'; p++)
    {
      if (*p == 0x1f)
        g_string_append (fixed, "\\u001f");
      else
        g_string_append_c (fixed, *p);
    }
  g_free (json);
  return g_string_free (fixed, FALSE);
}

char *
_pp_json_to_string (JsonNode *root)
{
  return _pp_json_escape_unit_separator (json_to_string (root, FALSE));
}

void
_pp_json_add_string_or_null (JsonBuilder *builder,
                             const char  *member,
                             const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
_pp_json_add_nonempty_or_null (JsonBuilder *builder,
                               const char  *member,
                               const char  *value)
{
  _pp_json_add_string_or_null (builder, member, value != NULL && *value != '\0' ? value : NULL);
}

void
_pp_json_add_int (JsonBuilder *builder,
                  const char  *member,
                  gint64       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

void
_pp_json_add_double (JsonBuilder *builder,
                     const char  *member,
                     double       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_double_value (builder, value);
}

void
_pp_json_add_boolean (JsonBuilder *builder,
                      const char  *member,
                      gboolean     value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_boolean_value (builder, value);
}
