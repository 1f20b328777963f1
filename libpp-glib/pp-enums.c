/* pp-enums.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-enums.h"

G_DEFINE_ENUM_TYPE (PpJobState, pp_job_state,
  G_DEFINE_ENUM_VALUE (PP_JOB_STATE_QUEUED, "queued"),
  G_DEFINE_ENUM_VALUE (PP_JOB_STATE_RUNNING, "running"),
  G_DEFINE_ENUM_VALUE (PP_JOB_STATE_DONE, "done"),
  G_DEFINE_ENUM_VALUE (PP_JOB_STATE_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (PP_JOB_STATE_CANCELLED, "cancelled"))

G_DEFINE_ENUM_TYPE (PpNodeState, pp_node_state,
  G_DEFINE_ENUM_VALUE (PP_NODE_STATE_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (PP_NODE_STATE_READY, "ready"),
  G_DEFINE_ENUM_VALUE (PP_NODE_STATE_LOST, "lost"),
  G_DEFINE_ENUM_VALUE (PP_NODE_STATE_REFUSED, "refused"),
  G_DEFINE_ENUM_VALUE (PP_NODE_STATE_REMOVED, "removed"))

G_DEFINE_ENUM_TYPE (PpPayloadFormat, pp_payload_format,
  G_DEFINE_ENUM_VALUE (PP_PAYLOAD_FORMAT_PICKLE, "pickle"),
  G_DEFINE_ENUM_VALUE (PP_PAYLOAD_FORMAT_JSON, "json"))

/**
 * pp_payload_format_to_string:
 * @format: a #PpPayloadFormat
 *
 * Gets the name of @format as used on the wire (`"pickle"` or `"json"`).
 *
 * Returns: (transfer none): the name of @format
 *
 * Since: 0.1
 */
const char *
pp_payload_format_to_string (PpPayloadFormat format)
{
  switch (format)
    {
    case PP_PAYLOAD_FORMAT_PICKLE:
      return "pickle";
    case PP_PAYLOAD_FORMAT_JSON:
      return "json";
    default:
      g_return_val_if_reached (NULL);
    }
}
