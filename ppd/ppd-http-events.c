/* ppd-http-events.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <sys/socket.h>

#include <string.h>

#include "ppd-http-private.h"
#include "ppd-http-websocket.h"

/* GET /api/v1/events, a WebSocket: one JSON object per message, each with
 * a sequence number one above the last, in order:
 *
 *   {"seq": 0, "type": "hello", "version": 1}   (seq: the last event's)
 *   {"seq": N, "type": "job-started", "job": …, "function": …, "group": …,
 *    "client": …, "worker": PID, "time": …}
 *   {"seq": N, "type": "job-finished", "job": …, "function": …, "state":
 *    "done|failed|cancelled", "run_time": …, "time": …}
 *   {"seq": N, "type": "workers-changed", "workers": N, "time": …}
 *   {"seq": N, "type": "client-connected" | "client-left", "address": …,
 *    "reason": … (client-left), "time": …}
 *
 * Each reader is a PpdWebsocket (ppd-http-websocket.c): events are
 * appended to its output buffer and written together, as much as the
 * socket takes; a reader MAX_QUEUED_BYTES behind is closed with code 1008
 * and a reason, its connection closed CLOSE_GRACE seconds later if it does
 * not answer. The socket's send buffer is kept small (SEND_BUFFER) so that
 * a reader that stops reading is found soon. Nothing is built while no one
 * reads. */

#define MAX_READERS       16
#define MAX_QUEUED_BYTES  (4 * 1024 * 1024)
#define SEND_BUFFER       (64 * 1024)
#define WORKERS_POLL      1    /* s */

typedef struct
{
  PpdHttp      *http;
  PpdWebsocket *ws;
  gboolean      dropped;
  char         *peer;
} Reader;

static void
reader_free (Reader *reader)
{
  ppd_websocket_free (reader->ws);
  g_free (reader->peer);
  g_free (reader);
}

static void
drop_reader (Reader *reader)
{
  g_autofree char *reason = g_strdup_printf ("reader too slow: %" G_GSIZE_FORMAT
                                             " bytes of events behind",
                                             ppd_websocket_get_pending (reader->ws));

  reader->dropped = TRUE;
  reader->http->readers_dropped++;
  g_message ("HTTP: closing the events of %s: %s", reader->peer, reason);
  ppd_websocket_close (reader->ws, 1008, reason, TRUE);
}

static void
reader_push (Reader *reader,
             GBytes *message)
{
  gsize len;
  const char *text = g_bytes_get_data (message, &len);

  if (reader->dropped || !ppd_websocket_is_open (reader->ws))
    return;
  if (!ppd_websocket_send_text (reader->ws, text, len))
    drop_reader (reader);
}

static void
closed_cb (PpdWebsocket *ws,
           gpointer      data)
{
  Reader *reader = data;

  g_ptr_array_remove_fast (reader->http->readers, reader);
}

/* Messages --------------------------------------------------------------- */

/* Events are written by hand, not with JsonBuilder: there may be two per
 * job, and this is the cost of a reader. */
static void
append_string (GString    *out,
               const char *value)
{
  if (value == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p++)
    {
      guchar c = *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, c);
    }
  g_string_append_c (out, '"');
}

/* Seconds to the microsecond, without the cost of printf's %f. */
static void
append_seconds (GString *out,
                gint64   microseconds)
{
  if (microseconds < 0)
    microseconds = 0;
  g_string_append_printf (out, "%" G_GINT64_FORMAT ".%06d", microseconds / G_USEC_PER_SEC,
                          (int) (microseconds % G_USEC_PER_SEC));
}

static GString *
begin_event (PpdHttp    *self,
             const char *type)
{
  GString *out = g_string_sized_new (192);

  g_string_append_printf (out, "{\"seq\":%" G_GUINT64_FORMAT ",\"type\":\"%s\",\"time\":",
                          ++self->seq, type);
  append_seconds (out, g_get_real_time ());
  return out;
}

static void
broadcast (PpdHttp *self,
           GString *out)
{
  g_autoptr(GBytes) message = NULL;

  g_string_append_c (out, '}');
  message = g_string_free_to_bytes (out);
  for (guint i = 0; i < self->readers->len; i++)
    reader_push (g_ptr_array_index (self->readers, i), message);
}

/* Text from elsewhere (a peer, a reason) as valid UTF-8. */
static void
add_string (GString    *out,
            const char *member,
            const char *value)
{
  g_autofree char *valid = value ? g_utf8_make_valid (value, -1) : NULL;

  g_string_append_printf (out, ",\"%s\":", member);
  append_string (out, valid);
}

static void
add_job_fields (GString    *out,
                PpdHttpJob *job)
{
  g_string_append_printf (out, ",\"job\":%" G_GUINT64_FORMAT, job->id);
  add_string (out, "function", job->function);
  add_string (out, "group", job->group);
  add_string (out, "client", job->client);
}

void
ppd_http_events_job_started (PpdHttp    *self,
                             PpdHttpJob *job)
{
  GString *out;

  if (self->readers->len == 0)
    {
      self->seq++;
      return;
    }
  out = begin_event (self, "job-started");
  add_job_fields (out, job);
  g_string_append_printf (out, ",\"worker\":%u", job->worker);
  broadcast (self, out);
}

void
ppd_http_events_job_finished (PpdHttp    *self,
                              PpdHttpJob *job)
{
  static const char * const states[] = {
    [PP_JOB_STATE_DONE] = "done", [PP_JOB_STATE_FAILED] = "failed",
    [PP_JOB_STATE_CANCELLED] = "cancelled",
  };
  GString *out;

  if (self->readers->len == 0)
    {
      self->seq++;
      return;
    }
  out = begin_event (self, "job-finished");
  add_job_fields (out, job);
  g_string_append_printf (out, ",\"state\":\"%s\",\"run_time\":",
                          job->state < G_N_ELEMENTS (states) && states[job->state]
                          ? states[job->state] : "failed");
  append_seconds (out, (gint64) (job->run_time * G_USEC_PER_SEC));
  broadcast (self, out);
}

void
ppd_http_events_client (PpdHttp    *self,
                        const char *type,
                        const char *address,
                        const char *reason)
{
  GString *out = begin_event (self, type);

  add_string (out, "address", address);
  if (g_str_equal (type, "client-left"))
    add_string (out, "reason", reason ? reason : "");
  broadcast (self, out);
}

void
ppd_http_events_workers_changed (PpdHttp *self)
{
  GString *out = begin_event (self, "workers-changed");

  g_string_append_printf (out, ",\"workers\":%u", pp_server_get_ncpus (self->pool));
  broadcast (self, out);
}

/* A worker replaced (a crash, --restart) changes no property: the pids are
 * compared once a second while someone reads. */
static gboolean
workers_poll_cb (gpointer data)
{
  PpdHttp *self = data;
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GString) pids = NULL;
  GVariantIter iter;
  guint32 pid;

  if (self->readers->len == 0)
    return G_SOURCE_CONTINUE;
  info = pp_server_dup_worker_info (self->pool);
  pids = g_string_new (NULL);
  g_variant_iter_init (&iter, info);
  while (g_variant_iter_next (&iter, "(u&stud)", &pid, NULL, NULL, NULL, NULL))
    g_string_append_printf (pids, "%u ", pid);
  if (self->worker_pids != NULL && !g_str_equal (self->worker_pids, pids->str))
    ppd_http_events_workers_changed (self);
  g_free (self->worker_pids);
  self->worker_pids = g_string_free (g_steal_pointer (&pids), FALSE);
  return G_SOURCE_CONTINUE;
}

/* Readers ---------------------------------------------------------------- */

static GBytes *
hello_message (PpdHttp *self)
{
  g_autofree char *text = g_strdup_printf ("{\"seq\":%" G_GUINT64_FORMAT
                                           ",\"type\":\"hello\",\"version\":1}", self->seq);

  return g_bytes_new (text, strlen (text));
}

/**
 * ppd_http_events_add_reader:
 * @self: the server
 * @stream: a connection whose WebSocket handshake was just answered
 * @socket: (nullable): the socket under it
 * @remote: the peer's address
 *
 * Starts sending the events on @stream.
 */
void
ppd_http_events_add_reader (PpdHttp        *self,
                            GIOStream      *stream,
                            GSocket        *socket,
                            GSocketAddress *remote)
{
  g_autoptr(GBytes) hello = NULL;
  Reader *reader;

  reader = g_new0 (Reader, 1);
  reader->http = self;
  reader->ws = ppd_websocket_new (stream, MAX_QUEUED_BYTES, closed_cb, reader);
  reader->peer = G_IS_INET_SOCKET_ADDRESS (remote)
    ? g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)))
    : g_strdup ("unknown");
  if (socket != NULL)
    {
      /* A WebSocket stays open: no idle timeout but TCP keepalives; a
       * small send buffer. */
      g_socket_set_timeout (socket, 0);
      g_socket_set_keepalive (socket, TRUE);
      g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, SEND_BUFFER, NULL);
    }
  g_ptr_array_add (self->readers, reader);
  if (self->readers->len > MAX_READERS)
    {
      reader->dropped = TRUE;
      ppd_websocket_close (reader->ws, 1013, "too many event readers", TRUE);
      return;
    }
  hello = hello_message (self);
  reader_push (reader, hello);
}

void
ppd_http_events_init (PpdHttp *self)
{
  self->readers = g_ptr_array_new_with_free_func ((GDestroyNotify) reader_free);
  self->workers_poll = g_timeout_add_seconds (WORKERS_POLL, workers_poll_cb, self);
}

void
ppd_http_events_clear (PpdHttp *self)
{
  g_clear_handle_id (&self->workers_poll, g_source_remove);
  if (self->readers != NULL)
    for (guint i = 0; i < self->readers->len; i++)
      {
        Reader *reader = g_ptr_array_index (self->readers, i);

        /* Best effort: what the socket takes now. */
        ppd_websocket_close (reader->ws, 1001, "ppd is stopping", TRUE);
      }
  g_clear_pointer (&self->readers, g_ptr_array_unref);
  g_clear_pointer (&self->worker_pids, g_free);
}
