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

/* Appends a frame whose header is its type and one unsigned member. */
static void
append_counter_frame (GByteArray *out,
                      const char *type,
                      const char *member,
                      guint64     value)
{
  char header[96];
  int len = g_snprintf (header, sizeof header, "{\"t\":\"%s\",\"%s\":%" G_GUINT64_FORMAT "}",
                        type, member, value);

  g_assert (len > 0 && (gsize) len < sizeof header);
  _pp_frame_append (out, header, len, NULL, 0);
}

void
_pp_message_append_skip (GByteArray *out,
                         guint64     id)
{
  append_counter_frame (out, "skip", "id", id);
}

void
_pp_message_append_cancel (GByteArray *out,
                           guint64     id)
{
  append_counter_frame (out, "cancel", "id", id);
}

void
_pp_message_append_ping (GByteArray *out,
                         guint64     n)
{
  append_counter_frame (out, "ping", "n", n);
}

/* What a node reads (docs/protocol.md) ----------------------------------- */

static gboolean
get_job_id (PpFrame  *frame,
            gint64   *id,
            GError  **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!_pp_frame_get_int64 (frame, "id", 0, G_MAXINT64, id, &local_error))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL, "malformed \"%s\" frame: %s",
                   _pp_frame_get_type (frame), local_error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
get_def_string (PpFrame     *frame,
                const char  *member,
                const char **value,
                GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!_pp_frame_get_str (frame, member, value, &local_error))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL, "malformed \"def\" frame: %s",
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}

static char **
get_modules (PpFrame  *frame,
             GError  **error)
{
  JsonNode *node = json_object_get_member (frame->header, "modules");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strv_builder_end (builder);
  if (!JSON_NODE_HOLDS_ARRAY (node))
    goto malformed;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        goto malformed;
      g_strv_builder_add (builder, json_node_get_string (element));
    }
  return g_strv_builder_end (builder);

malformed:
  g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL,
               "malformed \"def\" frame: \"modules\" is not an array of strings");
  return NULL;
}

static char *
get_source (PpFrame  *frame,
            GError  **error)
{
  gsize size;
  const char *data = g_bytes_get_data (frame->body, &size);

  if (size > 0 && (memchr (data, '\0', size) != NULL || !g_utf8_validate_len (data, size, NULL)))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL,
                   "malformed \"def\" frame: the source is not UTF-8 text");
      return NULL;
    }
  return g_strndup (size > 0 ? data : "", size);
}

/* "def": the key, the name, the modules (an array of strings, or none)
 * and the source (UTF-8 text without NUL), in that order. */
gboolean
_pp_message_parse_def (PpFrame       *frame,
                       PpDefMessage  *def,
                       GError       **error)
{
  memset (def, 0, sizeof *def);
  return get_def_string (frame, "key", &def->key, error) &&
         get_def_string (frame, "name", &def->name, error) &&
         (def->modules = get_modules (frame, error)) != NULL &&
         (def->source = get_source (frame, error)) != NULL;
}

void
_pp_def_message_clear (PpDefMessage *def)
{
  g_clear_pointer (&def->modules, g_strfreev);
  g_clear_pointer (&def->source, g_free);
  def->key = NULL;
  def->name = NULL;
}

static gboolean
get_format (PpFrame          *frame,
            PpPayloadFormat  *format,
            GError          **error)
{
  const char *fmt = NULL;

  _pp_frame_get_str (frame, "fmt", &fmt, NULL);
  if (g_strcmp0 (fmt, "pickle") == 0)
    *format = PP_PAYLOAD_FORMAT_PICKLE;
  else if (g_strcmp0 (fmt, "json") == 0)
    *format = PP_PAYLOAD_FORMAT_JSON;
  else
    {
      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL,
                   "malformed \"job\" frame: \"fmt\" is not \"pickle\" or \"json\"");
      return FALSE;
    }
  return TRUE;
}

/* "job": the id, then the format; the key is looked up by the node, which
 * answers a missing or unknown one with a failed "res". */
gboolean
_pp_message_parse_job (PpFrame       *frame,
                       PpJobMessage  *job,
                       GError       **error)
{
  memset (job, 0, sizeof *job);
  if (!get_job_id (frame, &job->id, error) || !get_format (frame, &job->format, error))
    return FALSE;
  job->key = _pp_frame_get_string (frame, "key");
  return TRUE;
}

gboolean
_pp_message_parse_cancel (PpFrame          *frame,
                          PpCancelMessage  *cancel,
                          GError          **error)
{
  return get_job_id (frame, &cancel->id, error);
}

/* "ping": "n", when there is one, is echoed in the "pong". */
gboolean
_pp_message_parse_ping (PpFrame        *frame,
                        PpPingMessage  *ping,
                        GError        **error)
{
  ping->n = 0;
  ping->has_n = _pp_frame_has (frame, "n");
  return !ping->has_n || _pp_frame_get_int64 (frame, "n", 0, G_MAXINT64, &ping->n, error);
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
  gboolean compile_error = _pp_message_get_flag (frame, "compile");
  g_autofree char *node = NULL;

  if (_pp_message_get_flag (frame, "crashed"))
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

/* Reads a result _pp_message_check_result() accepted into @outcome: done
 * with its payload, or failed with the error, exception and traceback the
 * peer sent. The outcome's strings point into @frame, its result into the
 * payload returned, which the caller keeps until the job is finished. */
GBytes *
_pp_message_parse_result (PpJob        *job,
                          PpFrame      *frame,
                          PpJobOutcome *outcome)
{
  GBytes *payload = _pp_message_split_result (frame, &outcome->output);

  outcome->run_time = _pp_message_get_run_time (frame);
  outcome->result = payload;
  if (_pp_message_get_flag (frame, "ok"))
    {
      outcome->state = PP_JOB_STATE_DONE;
      return payload;
    }
  outcome->state = PP_JOB_STATE_FAILED;
  outcome->error = _pp_message_result_error (job, frame);
  outcome->exception_type = _pp_frame_get_string (frame, "etype");
  outcome->exception_message = _pp_frame_get_string (frame, "emsg");
  outcome->traceback = _pp_frame_get_string (frame, "tb");
  if (g_bytes_get_size (payload) == 0)
    outcome->result = NULL;
  return payload;
}
