/* ppm-json.c: tolerant readers of status documents
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ppm-json.h"

static JsonNode *
member (JsonObject *object,
        const char *name)
{
  return object ? json_object_get_member (object, name) : NULL;
}

/* TRUE when @object is NULL, or has no @name, or has it null. */
gboolean
ppm_json_missing (JsonObject *object,
                  const char *name)
{
  JsonNode *node = member (object, name);

  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

JsonObject *
ppm_json_get_object (JsonObject *object,
                     const char *name)
{
  JsonNode *node = member (object, name);

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
ppm_json_get_array (JsonObject *object,
                    const char *name)
{
  JsonNode *node = member (object, name);

  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

JsonObject *
ppm_json_array_get_object (JsonArray *array,
                           guint      index)
{
  JsonNode *node;

  if (array == NULL || index >= json_array_get_length (array))
    return NULL;
  node = json_array_get_element (array, index);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

guint
ppm_json_array_get_length (JsonArray *array)
{
  return array ? json_array_get_length (array) : 0;
}

gint64
ppm_json_get_int (JsonObject *object,
                  const char *name,
                  gint64      default_value)
{
  JsonNode *node = member (object, name);
  double d;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return default_value;
  switch (json_node_get_value_type (node) == G_TYPE_INT64 ? 0 :
          json_node_get_value_type (node) == G_TYPE_DOUBLE ? 1 : 2)
    {
    case 0:
      return json_node_get_int (node);
    case 1:
      d = json_node_get_double (node);
      return d >= -9.2e18 && d <= 9.2e18 ? (gint64) d : default_value;
    default:
      return default_value;
    }
}

double
ppm_json_get_double (JsonObject *object,
                     const char *name,
                     double      default_value)
{
  JsonNode *node = member (object, name);
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return default_value;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_DOUBLE)
    return json_node_get_double (node);
  if (type == G_TYPE_INT64)
    return json_node_get_int (node);
  return default_value;
}

const char *
ppm_json_get_string (JsonObject *object,
                     const char *name,
                     const char *default_value)
{
  JsonNode *node = member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return default_value;
  return json_node_get_string (node);
}
