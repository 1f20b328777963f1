/* pp-messages.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "pp-error.h"
#include "pp-function-private.h"
#include "pp-messages-private.h"

/* What a client sends (docs/protocol.md) -------------------------------- */

/* Appends @job to @out, after its function's definition if @defined (the
 * keys that peer has) lacks it. */
void
_pp_message_append_job (GByteArray *out,
                        GHashTable *defined,
                        PpJob      *job)
{
  PpFunction *function = pp_job_get_function (job);
  const char *key = pp_function_get_key (function);
  g_autoptr(GBytes) args = _pp_job_get_args (job);
  char header[160];
  int len;

  if (!g_hash_table_contains (defined, key))
    {
      g_autoptr(JsonObject) def = json_object_new ();
      JsonArray *modules = json_array_new ();
      const char * const *names = pp_function_get_modules (function);
      const char *source = pp_function_get_source (function);

      for (guint i = 0; names[i] != NULL; i++)
        json_array_add_string_element (modules, names[i]);
      json_object_set_string_member (def, "t", "def");
      json_object_set_string_member (def, "key", key);
      json_object_set_string_member (def, "name", pp_function_get_name (function));
      json_object_set_array_member (def, "modules", modules);
      _pp_frame_append_json (out, def, source, strlen (source));
      g_hash_table_add (defined, g_strdup (key));
    }

  len = g_snprintf (header, sizeof header,
                    "{\"t\":\"job\",\"id\":%" G_GUINT64_FORMAT ",\"key\":\"%s\",\"fmt\":\"%s\"}",
                    pp_job_get_id (job), key,
                    pp_payload_format_to_string (pp_job_get_format (job)));
  g_assert (len > 0 && (gsize) len < sizeof header);
  _pp_frame_append (out, header, len,
                    args ? g_bytes_get_data (args, NULL) : NULL,
                    args ? g_bytes_get_size (args) : 0);
}

void
_pp_message_append_skip (GByteArray *out,
                         guint64     id)
{
  char header[64];
  int len = g_snprintf (header, sizeof header, "{\"t\":\"skip\",\"id\":%" G_GUINT64_FORMAT "}", id);

  _pp_frame_append (out, header, len, NULL, 0);
}

void
_pp_message_append_cancel (GByteArray *out,
                           guint64     id)
{
  char header[64];
  int len = g_snprintf (header, sizeof header, "{\"t\":\"cancel\",\"id\":%" G_GUINT64_FORMAT "}", id);

  _pp_frame_append (out, header, len, NULL, 0);
}

/* Results ---------------------------------------------------------------- */

gboolean
_pp_message_get_flag (PpFrame    *frame,
                      const char *member)
{
  JsonNode *node = json_object_get_member (frame->header, member);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_boolean (node);
}

GError *
_pp_message_result_error (PpJob   *job,
                          PpFrame *frame)
{
  const char *type = _pp_frame_get_string (frame, "etype");
  const char *message = _pp_frame_get_string (frame, "emsg");
  JsonNode *compile = json_object_get_member (frame->header, "compile");
  gboolean compile_error = compile != NULL && JSON_NODE_HOLDS_VALUE (compile) &&
                           json_node_get_boolean (compile);

  JsonNode *crashed = json_object_get_member (frame->header, "crashed");
  g_autofree char *node = NULL;

  if (crashed != NULL && JSON_NODE_HOLDS_VALUE (crashed) && json_node_get_boolean (crashed))
    {
      node = pp_job_dup_node (job);
      return g_error_new (PP_ERROR, PP_ERROR_WORKER_CRASHED, "On node %s: %s",
                          node, message ? message : "its worker crashed");
    }
  return g_error_new (PP_ERROR, compile_error ? PP_ERROR_COMPILE : PP_ERROR_JOB_RAISED,
                      "%s in job %" G_GUINT64_FORMAT " (%s): %s",
                      type ? type : "Exception", pp_job_get_id (job),
                      pp_function_get_name (pp_job_get_function (job)),
                      message ? message : "");
}

/* Every number and flag of a result, checked before any of it is used; the
 * error names the member that does not fit. */
#define MAX_RUN_TIME 1e9

gboolean
_pp_message_check_result (PpFrame  *frame,
                          gint64   *id,
                          GError  **error)
{
  static const char * const flags[] = { "ok", "skipped", "cancelled", "compile", "crashed",
                                         "undefined" };
  gboolean flag;
  double run_time;
  gint64 olen;

  if (!_pp_frame_get_int64 (frame, "id", 0, G_MAXINT64, id, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    if (_pp_frame_has (frame, flags[i]) && !_pp_frame_get_bool (frame, flags[i], &flag, error))
      return FALSE;
  if (_pp_frame_has (frame, "time") &&
      !_pp_frame_get_double (frame, "time", 0, MAX_RUN_TIME, &run_time, error))
    return FALSE;
  return !_pp_frame_has (frame, "olen") ||
         _pp_frame_get_int64 (frame, "olen", 0, g_bytes_get_size (frame->body), &olen, error);
}

/* Only for a result _pp_message_check_result() accepted: -1 without one. */
double
_pp_message_get_run_time (PpFrame *frame)
{
  JsonNode *node = json_object_get_member (frame->header, "time");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return -1;
  return json_node_get_double (node);
}

/* Splits a result body into the captured output and the payload. */
GBytes *
_pp_message_split_result (PpFrame  *frame,
                          char    **output)
{
  gsize size = g_bytes_get_size (frame->body);
  gint64 olen = _pp_frame_get_int (frame, "olen", 0);

  *output = NULL;
  if (olen <= 0 || (guint64) olen > size)
    return g_bytes_ref (frame->body);
  *output = g_utf8_make_valid (g_bytes_get_data (frame->body, NULL), olen);
  return g_bytes_new_from_bytes (frame->body, olen, size - olen);
}
