/* ppd-http-events.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <string.h>

#include "ppd-http-private.h"

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
 * Each reader has a bounded queue: messages go to libsoup only while the
 * socket takes them (so libsoup's own queue stays short), the rest wait
 * here; a reader MAX_QUEUED messages or MAX_QUEUED_BYTES behind is closed
 * with code 1008 and a reason, and its socket shut down CLOSE_GRACE
 * seconds later if it does not answer. The socket's send buffer is kept
 * small (SEND_BUFFER) so that a reader that stops reading is found soon.
 * Nothing is built while no one reads. */

#define MAX_READERS       16
#define MAX_QUEUED        32768
#define MAX_QUEUED_BYTES  (4 * 1024 * 1024)
#define SEND_BUFFER       (64 * 1024)
#define FLUSH_BATCH       256
#define CLOSE_GRACE       2    /* s */
#define WORKERS_POLL      1    /* s */

typedef struct
{
  PpdHttp                 *http;
  SoupWebsocketConnection *ws;    /* our own reference (libsoup 3.2 drops its own) */
  GSocket                 *socket;
  GQueue                   queue; /* GBytes */
  gsize                    queued_bytes;
  GSource                  *flush_source;
  guint                    kill_source;
  gboolean                 dropped;
  char                    *peer;
} Reader;

static void
reader_free (Reader *reader)
{
  if (reader->flush_source != NULL)
    {
      g_source_destroy (reader->flush_source);
      g_clear_pointer (&reader->flush_source, g_source_unref);
    }
  g_clear_handle_id (&reader->kill_source, g_source_remove);
  g_queue_clear_full (&reader->queue, (GDestroyNotify) g_bytes_unref);
  g_signal_handlers_disconnect_by_data (reader->ws, reader);
  g_clear_object (&reader->ws);
  g_clear_object (&reader->socket);
  g_free (reader->peer);
  g_free (reader);
}

static gboolean
kill_cb (gpointer data)
{
  Reader *reader = data;

  reader->kill_source = 0;
  if (reader->socket != NULL)
    g_socket_shutdown (reader->socket, TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

static void
drop_reader (Reader     *reader,
             const char *reason)
{
  if (reader->dropped)
    return;
  reader->dropped = TRUE;
  reader->http->readers_dropped++;
  g_message ("HTTP: closing the events of %s: %s", reader->peer, reason);
  g_queue_clear_full (&reader->queue, (GDestroyNotify) g_bytes_unref);
  reader->queued_bytes = 0;
  if (soup_websocket_connection_get_state (reader->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (reader->ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, reason);
  reader->kill_source = g_timeout_add_seconds (CLOSE_GRACE, kill_cb, reader);
}

static gboolean
socket_writable (Reader *reader)
{
  return reader->socket == NULL ||
         (g_socket_condition_check (reader->socket, G_IO_OUT) & G_IO_OUT) != 0;
}

static void reader_flush (Reader *reader);

static gboolean
flush_cb (gpointer data)
{
  Reader *reader = data;

  g_clear_pointer (&reader->flush_source, g_source_unref);
  reader_flush (reader);
  return G_SOURCE_REMOVE;
}

static gboolean
socket_flush_cb (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      data)
{
  return flush_cb (data);
}

static void
schedule_flush (Reader   *reader,
                gboolean  wait_writable)
{
  if (reader->flush_source != NULL)
    return;
  if (wait_writable && reader->socket != NULL)
    {
      reader->flush_source = g_socket_create_source (reader->socket, G_IO_OUT, NULL);
      g_source_set_callback (reader->flush_source, G_SOURCE_FUNC (socket_flush_cb), reader, NULL);
    }
  else
    {
      reader->flush_source = g_idle_source_new ();
      g_source_set_priority (reader->flush_source, G_PRIORITY_DEFAULT);
      g_source_set_callback (reader->flush_source, flush_cb, reader, NULL);
    }
  g_source_attach (reader->flush_source, NULL);
}

/* A burst of small frames leaves in few segments, not one each. */
static void
set_corked (Reader   *reader,
            gboolean  corked)
{
  if (reader->socket != NULL)
    g_socket_set_option (reader->socket, IPPROTO_TCP, TCP_CORK, corked, NULL);
}

/* Hands libsoup what the socket takes now: a batch while it is writable
 * (so libsoup's own queue holds a batch at most), then waits. */
static void
reader_flush (Reader *reader)
{
  if (soup_websocket_connection_get_state (reader->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  if (!socket_writable (reader))
    {
      schedule_flush (reader, TRUE);
      return;
    }
  set_corked (reader, TRUE);
  for (guint i = 0; i < FLUSH_BATCH && !g_queue_is_empty (&reader->queue); i++)
    {
      g_autoptr(GBytes) message = g_queue_pop_head (&reader->queue);

      reader->queued_bytes -= g_bytes_get_size (message);
      soup_websocket_connection_send_message (reader->ws, SOUP_WEBSOCKET_DATA_TEXT, message);
    }
  set_corked (reader, FALSE);
  if (!g_queue_is_empty (&reader->queue))
    schedule_flush (reader, FALSE);
}

static void
reader_push (Reader *reader,
             GBytes *message)
{
  if (reader->dropped)
    return;
  if (reader->queue.length >= MAX_QUEUED ||
      reader->queued_bytes + g_bytes_get_size (message) > MAX_QUEUED_BYTES)
    {
      g_autofree char *reason = g_strdup_printf ("reader too slow: %u events behind",
                                                 reader->queue.length);
      drop_reader (reader, reason);
      return;
    }
  g_queue_push_tail (&reader->queue, g_bytes_ref (message));
  reader->queued_bytes += g_bytes_get_size (message);
  /* The pool tells its events in bursts: they are sent together, a batch
   * at a time. */
  if (reader->queue.length >= FLUSH_BATCH)
    reader_flush (reader);
  else
    schedule_flush (reader, FALSE);
}

static void
closed_cb (SoupWebsocketConnection *ws,
           gpointer                 data)
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

void
ppd_http_events_add_reader (PpdHttp                 *self,
                            SoupServerMessage       *msg,
                            SoupWebsocketConnection *ws)
{
  GSocket *socket = ppd_http_message_get_socket (self, msg);
  g_autoptr(GBytes) hello = NULL;
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  Reader *reader;

  if (self->readers->len >= MAX_READERS)
    {
      soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                       "too many event readers");
      return;
    }
  reader = g_new0 (Reader, 1);
  reader->http = self;
  reader->ws = g_object_ref (ws);
  reader->socket = socket ? g_object_ref (socket) : NULL;
  reader->peer = G_IS_INET_SOCKET_ADDRESS (remote)
    ? g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)))
    : g_strdup ("unknown");
  g_queue_init (&reader->queue);
  if (socket != NULL)
    {
      /* A WebSocket stays open: no idle timeout; a small send buffer. */
      g_socket_set_timeout (socket, 0);
      g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, SEND_BUFFER, NULL);
    }
  soup_websocket_connection_set_keepalive_interval (ws, 30);
  soup_websocket_connection_set_max_incoming_payload_size (ws, 4096);
  g_signal_connect (ws, "closed", G_CALLBACK (closed_cb), reader);
  g_ptr_array_add (self->readers, reader);
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

        g_signal_handlers_disconnect_by_data (reader->ws, reader);
        if (soup_websocket_connection_get_state (reader->ws) == SOUP_WEBSOCKET_STATE_OPEN)
          soup_websocket_connection_close (reader->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                           "ppd is stopping");
      }
  g_clear_pointer (&self->readers, g_ptr_array_unref);
  g_clear_pointer (&self->worker_pids, g_free);
}
