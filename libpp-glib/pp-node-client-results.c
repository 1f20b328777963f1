/* pp-node-client-results.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A node service client's results: the "res" frames of its finished jobs,
 * a burst at a time, and of the jobs that never reached the pool. */

#include "config.h"

#include <string.h>

#include "pp-error.h"
#include "pp-function-private.h"
#include "pp-io-thread-private.h"
#include "pp-messages-private.h"
#include "pp-node-client-private.h"
#include "pp-server-private.h"

/* The members of a failed "res". A failure that is not the function's own
 * exception (a crash, a cancellation, no interpreter) is a RuntimeError
 * carrying the node's message, plus "crashed" or "cancelled". */
static void
describe_failure (JsonObject *header,
                  PpJob      *job,
                  GError     *error)
{
  g_autofree char *type = pp_job_dup_exception_type (job);
  g_autofree char *message = pp_job_dup_exception_message (job);
  g_autofree char *traceback = pp_job_dup_traceback (job);
  gboolean cancelled = g_error_matches (error, PP_ERROR, PP_ERROR_CANCELLED);

  json_object_set_boolean_member (header, "ok", FALSE);
  if (type == NULL)
    {
      g_free (message);
      message = g_strdup (cancelled ? "the job was cancelled on the node" : error->message);
    }
  _pp_node_client_set_text (header, "etype", type ? type : "RuntimeError", MAX_TYPE_TEXT);
  _pp_node_client_set_text (header, "emsg", message, MAX_RESULT_TEXT);
  _pp_node_client_set_text (header, "tb", traceback, MAX_RESULT_TEXT);
  if (g_error_matches (error, PP_ERROR, PP_ERROR_COMPILE))
    json_object_set_boolean_member (header, "compile", TRUE);
  else if (g_error_matches (error, PP_ERROR, PP_ERROR_WORKER_CRASHED))
    json_object_set_boolean_member (header, "crashed", TRUE);
  else if (cancelled)
    json_object_set_boolean_member (header, "cancelled", TRUE);
}

/* Appends the "res" frame of a finished job to the client's output (the
 * caller flushes): the captured output, then the result (or the encoded
 * exception). */
/* The common case, a success with no output, without building a JSON tree
 * (a quarter of the node's time per tiny job went there). */
static gboolean
append_plain_success (PpNodeClient *client,
                      gint64        id,
                      PpJob        *job,
                      GBytes       *payload)
{
  char header[128];
  char run_time[G_ASCII_DTOSTR_BUF_SIZE];
  int len;

  if (!pp_job_propagate_error (job, NULL))
    return FALSE;
  g_ascii_formatd (run_time, sizeof run_time, "%.9g", pp_job_get_run_time (job));
  len = g_snprintf (header, sizeof header,
                    "{\"t\":\"res\",\"id\":%" G_GINT64_FORMAT ",\"fmt\":\"%s\",\"time\":%s,\"ok\":true}",
                    id, pp_payload_format_to_string (pp_job_get_format (job)), run_time);
  g_assert (len > 0 && (gsize) len < sizeof header);
  _pp_frame_append (_pp_connection_get_out (client->connection), header, len,
                    payload ? g_bytes_get_data (payload, NULL) : NULL,
                    payload ? g_bytes_get_size (payload) : 0);
  return TRUE;
}

static void
client_send_result (PpNodeClient *client,
                    gint64        id,
                    PpJob        *job)
{
  g_autoptr(JsonObject) header = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) payload = pp_job_dup_result (job);
  g_autofree char *output = pp_job_dup_output (job);
  gsize olen = output ? strlen (output) : 0;
  gsize plen = payload ? g_bytes_get_size (payload) : 0;
  g_autoptr(GByteArray) body = NULL;

  if (olen == 0 && append_plain_success (client, id, job, payload))
    return;
  header = json_object_new ();
  json_object_set_string_member (header, "t", "res");
  json_object_set_int_member (header, "id", id);
  json_object_set_string_member (header, "fmt",
                                 pp_payload_format_to_string (pp_job_get_format (job)));
  json_object_set_double_member (header, "time", pp_job_get_run_time (job));
  if (pp_job_propagate_error (job, &error))
    json_object_set_boolean_member (header, "ok", TRUE);
  else
    describe_failure (header, job, error);

  if (olen == 0)
    {
      _pp_frame_append_json (_pp_connection_get_out (client->connection), header,
                             plen ? g_bytes_get_data (payload, NULL) : NULL, plen);
      return;
    }
  json_object_set_int_member (header, "olen", olen);
  body = g_byte_array_sized_new (olen + plen);
  g_byte_array_append (body, (const guint8 *) output, olen);
  if (plen > 0)
    g_byte_array_append (body, g_bytes_get_data (payload, NULL), plen);
  _pp_frame_append_json (_pp_connection_get_out (client->connection), header,
                         body->data, body->len);
}

/* A failed "res" for a job that never reached the pool. */
void
_pp_node_client_send_failure (PpNodeClient *client,
                              gint64        id,
                              const char   *fmt,
                              const char   *type,
                              const char   *message,
                              gboolean      undefined)
{
  g_autoptr(JsonObject) header = json_object_new ();

  json_object_set_string_member (header, "t", "res");
  json_object_set_int_member (header, "id", id);
  json_object_set_boolean_member (header, "ok", FALSE);
  json_object_set_string_member (header, "fmt", fmt);
  json_object_set_double_member (header, "time", 0);
  json_object_set_string_member (header, "etype", type);
  _pp_node_client_set_text (header, "emsg", message, MAX_RESULT_TEXT);
  if (undefined)
    json_object_set_boolean_member (header, "undefined", TRUE);
  _pp_connection_send_json (client->connection, header, NULL, 0);
}

/* Appends the "res" of a finished job to its client's output. */
static void
answer_job (PpNodeService   *self,
            PpNodeRemoteJob *remote,
            GHashTable      *to_flush)
{
  PpNodeClient *client = remote->client;
  g_autoptr(GError) error = NULL;

  if (client->service == NULL || client->jobs == NULL ||
      g_hash_table_lookup (client->jobs, &remote->id) != remote)
    return;
  g_hash_table_remove (client->jobs, &remote->id);
  client->jobs_done++;
  pp_job_propagate_error (remote->job, &error);
  /* The pool is gone: the client had better run its jobs elsewhere. */
  if (g_error_matches (error, PP_ERROR, PP_ERROR_DESTROYED))
    _pp_node_client_fail (client, "shutdown", "the node's worker pool was destroyed");
  else
    {
      client_send_result (client, remote->id, remote->job);
      g_hash_table_add (to_flush, _pp_node_client_ref (client));
    }
}

/* The pool's finished jobs, a burst at a time: one write per client. */
void
_pp_node_client_jobs_finished (GPtrArray *jobs,
                               gpointer   user_data)
{
  PpNodeService *self = user_data;
  g_autoptr(GHashTable) to_flush =
    g_hash_table_new_full (NULL, NULL, (GDestroyNotify) _pp_node_client_unref, NULL);
  GHashTableIter iter;
  PpNodeClient *client;
  guint answered = 0;

  for (guint i = 0; i < jobs->len; i++)
    {
      PpNodeRemoteJob *remote = NULL;
      PpJob *job = g_ptr_array_index (jobs, i);

      if (!g_hash_table_steal_extended (self->tracked, job, NULL, (gpointer *) &remote))
        continue;
      answered += remote->client->jobs != NULL &&
                  g_hash_table_lookup (remote->client->jobs, &remote->id) == remote;
      answer_job (self, remote, to_flush);
      _pp_node_remote_job_free (remote);
    }
  _pp_node_service_set_active_jobs (self, self->active_jobs - MIN (answered, self->active_jobs));
  g_hash_table_iter_init (&iter, to_flush);
  while (g_hash_table_iter_next (&iter, (gpointer *) &client, NULL))
    if (client->connection != NULL && !client->connection_closed)
      {
        _pp_connection_flush (client->connection);
        _pp_node_client_update_reading (client);
      }
}
