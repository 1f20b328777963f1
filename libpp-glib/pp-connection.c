/* pp-connection.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "pp-connection-private.h"
#include "pp-error.h"

/* Frames over a GIOStream, without threads and without blocking: a pollable
 * source reads whatever arrives into the frame reader and hands on every
 * complete frame; frames to send are appended whole to one buffer, written
 * at once as far as the socket takes them, and the rest when a pollable
 * output source says the socket is writable again. Reading never waits for
 * writing, so two peers that both send a lot cannot deadlock.
 *
 * The callbacks may close or free the connection. A reference count held
 * around each dispatch keeps the structure alive until the dispatch is over;
 * it is never visible outside this file. */

/* Read at most this many chunks (of the reader's 64 KiB) per dispatch, so a
 * fast sender cannot starve the other sources of the context. */
#define MAX_READS_PER_DISPATCH 16
/* Compact the output buffer once this much of it has been written. */
#define COMPACT_THRESHOLD      (1024 * 1024)

/* Lives in a g_atomic_rc_box. */
struct _PpConnection
{
  GIOStream                   *stream;
  GPollableInputStream        *input;
  GPollableOutputStream       *output;
  GMainContext                *context;
  const PpConnectionCallbacks *callbacks;
  gpointer                     user_data;
  char                        *peer;

  PpFrameReader               *reader;
  GSource                     *read_source;

  GByteArray                  *out;
  gsize                        out_pos;
  GSource                     *write_source;
  GSource                     *write_error_source;
  GError                      *write_error;

  guint                        timeout_ms;
  gint64                       last_activity;
  GSource                     *timeout_source;

  gboolean                     closed;
  gboolean                     paused;

  /* For monitoring (ppd's bytes in and out) */
  guint64                      bytes_in;
  guint64                      bytes_out;
};

static gboolean readable_cb (GObject *stream, gpointer data);
static gboolean writable_cb (GObject *stream, gpointer data);

static PpConnection *
connection_ref (PpConnection *self)
{
  return g_atomic_rc_box_acquire (self);
}

static void
connection_finalize (PpConnection *self)
{
  g_assert (self->closed);
  g_clear_object (&self->stream);
  g_main_context_unref (self->context);
  g_free (self->peer);
  _pp_frame_reader_free (self->reader);
  g_byte_array_unref (self->out);
  g_clear_error (&self->write_error);
}

static void
connection_unref (PpConnection *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) connection_finalize);
}

/* Holds the connection for the length of a dispatch. */
typedef PpConnection PpConnectionRef;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpConnectionRef, connection_unref)

/* The socket connection under any TLS layers, or %NULL. */
static GSocketConnection *
get_socket_connection (GIOStream *stream)
{
  while (G_IS_TLS_CONNECTION (stream))
    {
      g_autoptr(GIOStream) base = NULL;

      g_object_get (stream, "base-io-stream", &base, NULL);
      /* The TLS connection keeps its base stream alive. */
      stream = base;
    }
  return G_IS_SOCKET_CONNECTION (stream) ? G_SOCKET_CONNECTION (stream) : NULL;
}

static void
set_nodelay (GSocketConnection *connection)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  GSocketFamily family = g_socket_get_family (socket);
  GSocketProtocol protocol = g_socket_get_protocol (socket);
  g_autoptr(GError) error = NULL;

  /* GSocketClient leaves the protocol of its sockets at "default". */
  if ((family != G_SOCKET_FAMILY_IPV4 && family != G_SOCKET_FAMILY_IPV6) ||
      g_socket_get_socket_type (socket) != G_SOCKET_TYPE_STREAM ||
      (protocol != G_SOCKET_PROTOCOL_TCP && protocol != G_SOCKET_PROTOCOL_DEFAULT))
    return;
  if (!g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, &error))
    g_debug ("Cannot set TCP_NODELAY: %s", error->message);
}

/* A GSocket timeout (GSocketClient sets its connect timeout on the socket
 * it returns) would fail the non-blocking reads and writes of a quiet but
 * healthy connection with "Socket I/O timed out"; the connection's own
 * timer (_pp_connection_set_timeout_ms()) says when a peer is lost. */
static void
clear_socket_timeout (GSocketConnection *connection)
{
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 0);
}

static char *
describe_peer (GSocketConnection *connection)
{
  g_autoptr(GSocketAddress) address = NULL;

  if (connection != NULL)
    address = g_socket_connection_get_remote_address (connection, NULL);
  if (address == NULL)
    return g_strdup ("an unknown peer");
  return g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (address));
}

static void
start_reading (PpConnection *self)
{
  self->read_source = g_pollable_input_stream_create_source (self->input, NULL);
  g_source_set_callback (self->read_source, G_SOURCE_FUNC (readable_cb), self, NULL);
  g_source_set_static_name (self->read_source, "[pp-glib] connection read");
  /* As for worker sockets (pp-worker.c): never dispatched recursively, and
   * not taken out of and put back into the poll set around each dispatch. */
  g_source_set_can_recurse (self->read_source, TRUE);
  g_source_attach (self->read_source, self->context);
}

PpConnection *
_pp_connection_new (GIOStream                   *stream,
                    GMainContext                *context,
                    const PpConnectionCallbacks *callbacks,
                    gpointer                     user_data)
{
  PpConnection *self;
  GSocketConnection *base;

  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream)), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream)), NULL);
  g_return_val_if_fail (context != NULL, NULL);
  g_return_val_if_fail (callbacks != NULL, NULL);

  self = g_atomic_rc_box_new0 (PpConnection);
  self->stream = g_object_ref (stream);
  self->input = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  self->output = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
  self->context = g_main_context_ref (context);
  self->callbacks = callbacks;
  self->user_data = user_data;
  self->reader = _pp_frame_reader_new (PP_FRAME_DEFAULT_MAX_BODY);
  self->out = g_byte_array_new ();
  self->last_activity = g_get_monotonic_time ();

  base = get_socket_connection (stream);
  if (base != NULL)
    {
      set_nodelay (base);
      clear_socket_timeout (base);
    }
  self->peer = describe_peer (base);

  start_reading (self);

  return self;
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* Closes the stream without waiting: whatever could not be written is lost.
 * Under TLS, the close_notify is only sent when nothing else is stuck in
 * front of it, so closing never blocks on a peer that does not read. */
static void
close_stream (PpConnection *self,
              gboolean      drained)
{
  GSocketConnection *base = get_socket_connection (self->stream);

  if (G_IS_TLS_CONNECTION (self->stream) && base != NULL)
    {
      GSocket *socket = g_socket_connection_get_socket (base);

      if (!drained)
        g_io_stream_close (G_IO_STREAM (base), NULL, NULL);
      else
        g_socket_set_timeout (socket, 1);
    }
  g_io_stream_close (self->stream, NULL, NULL);
}

/* Stops all I/O for good; no callback follows. */
static void
shut_down (PpConnection *self)
{
  gboolean drained;

  self->closed = TRUE;
  clear_source (&self->read_source);
  clear_source (&self->write_source);
  clear_source (&self->write_error_source);
  clear_source (&self->timeout_source);
  drained = self->out_pos == self->out->len;
  g_byte_array_set_size (self->out, 0);
  self->out_pos = 0;
  close_stream (self, drained);
}

/* Ends the connection and tells the owner, once. The owner may free the
 * connection in the callback, so nothing touches @self afterwards. */
static void
report_closed (PpConnection *self,
               const GError *error)
{
  if (self->closed)
    return;
  shut_down (self);
  self->callbacks->closed (self, error, self->user_data);
}

static void
deliver_frames (PpConnection *self)
{
  g_autoptr(GError) error = NULL;

  while (!self->closed && !self->paused)
    {
      PpFrame *frame = _pp_frame_reader_pop (self->reader, &error);

      if (frame == NULL)
        break;
      self->callbacks->frame (self, frame, self->user_data);
    }
  if (error != NULL && !self->closed && self->callbacks->malformed != NULL)
    self->callbacks->malformed (self, error, self->user_data);
  if (error != NULL)
    report_closed (self, error);
}

static void
report_end_of_stream (PpConnection *self)
{
  g_autoptr(GError) error = NULL;

  if (_pp_frame_reader_get_pending (self->reader) > 0)
    error = g_error_new (PP_ERROR, PP_ERROR_PROTOCOL,
                         "%s closed the connection in the middle of a frame", self->peer);
  report_closed (self, error);
}

typedef enum
{
  READ_DRAINED,
  READ_MORE,
  READ_END,
  READ_ERROR,
} ReadStatus;

/* Reads what has arrived, up to a limit per dispatch. */
static ReadStatus
read_available (PpConnection  *self,
                GError       **error)
{
  for (guint i = 0; i < MAX_READS_PER_DISPATCH; i++)
    {
      g_autoptr(GError) local_error = NULL;
      gsize space;
      guint8 *buffer = _pp_frame_reader_get_space (self->reader, &space);
      gssize n = g_pollable_input_stream_read_nonblocking (self->input, buffer, space,
                                                           NULL, &local_error);

      if (n < 0 && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return READ_DRAINED;
      if (n < 0)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return READ_ERROR;
        }
      if (n == 0)
        return READ_END;
      _pp_frame_reader_commit (self->reader, n);
      self->bytes_in += n;
      self->last_activity = g_get_monotonic_time ();
    }
  return READ_MORE;
}

static gboolean
readable_cb (GObject  *stream,
             gpointer  data)
{
  g_autoptr(PpConnectionRef) self = connection_ref (data);
  g_autoptr(GError) error = NULL;
  ReadStatus status = read_available (self, &error);

  /* Frames that arrived before the end are delivered first. */
  deliver_frames (self);
  if (self->closed)
    return G_SOURCE_REMOVE;
  if (status == READ_ERROR)
    report_closed (self, error);
  else if (status == READ_END)
    report_end_of_stream (self);
  else if (self->paused)
    /* _pp_connection_set_paused() dropped this source. */
    return G_SOURCE_REMOVE;
  else
    {
      /* Come back at once for the rest: a TLS layer may already hold it,
       * where polling the socket would not see it. */
      g_source_set_ready_time (self->read_source, status == READ_MORE ? 0 : -1);
      return G_SOURCE_CONTINUE;
    }
  return G_SOURCE_REMOVE;
}

static gboolean
write_error_cb (gpointer data)
{
  g_autoptr(PpConnectionRef) self = connection_ref (data);
  g_autoptr(GError) error = g_steal_pointer (&self->write_error);

  g_clear_pointer (&self->write_error_source, g_source_unref);
  report_closed (self, error);
  return G_SOURCE_REMOVE;
}

/* A failed write is reported later and at a low priority, not from inside
 * _pp_connection_send(): the owner may not expect a callback there, and
 * what the peer sent before it went away (an "error" frame) is read first. */
static void
defer_write_error (PpConnection *self,
                   GError       *error)
{
  g_byte_array_set_size (self->out, 0);
  self->out_pos = 0;
  clear_source (&self->write_source);
  if (self->write_error != NULL)
    {
      g_error_free (error);
      return;
    }
  self->write_error = error;
  self->write_error_source = g_idle_source_new ();
  g_source_set_priority (self->write_error_source, G_PRIORITY_LOW);
  g_source_set_callback (self->write_error_source, write_error_cb, self, NULL);
  g_source_set_static_name (self->write_error_source, "[pp-glib] connection write error");
  g_source_attach (self->write_error_source, self->context);
}

static void
want_writable (PpConnection *self,
               gboolean      want)
{
  if (want && self->write_source == NULL)
    {
      self->write_source = g_pollable_output_stream_create_source (self->output, NULL);
      g_source_set_callback (self->write_source, G_SOURCE_FUNC (writable_cb), self, NULL);
      g_source_set_static_name (self->write_source, "[pp-glib] connection write");
      g_source_set_can_recurse (self->write_source, TRUE);
      g_source_attach (self->write_source, self->context);
    }
  else if (!want)
    clear_source (&self->write_source);
}

static void
consume_output (PpConnection *self,
                gsize         n_written)
{
  self->bytes_out += n_written;
  self->out_pos += n_written;
  if (self->out_pos == self->out->len)
    {
      g_byte_array_set_size (self->out, 0);
      self->out_pos = 0;
    }
  else if (self->out_pos >= COMPACT_THRESHOLD && self->out_pos * 2 >= self->out->len)
    {
      g_byte_array_remove_range (self->out, 0, self->out_pos);
      self->out_pos = 0;
    }
}

/* Writes as much as the stream takes now. Returns FALSE when the stream
 * failed (@error set). */
static gboolean
write_available (PpConnection  *self,
                 GError       **error)
{
  while (self->out_pos < self->out->len)
    {
      g_autoptr(GError) local_error = NULL;
      gssize n = g_pollable_output_stream_write_nonblocking (self->output,
                                                             self->out->data + self->out_pos,
                                                             self->out->len - self->out_pos,
                                                             NULL, &local_error);

      if (n < 0 && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return TRUE;
      if (n < 0)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      consume_output (self, n);
    }
  return TRUE;
}

static void
flush (PpConnection *self)
{
  g_autoptr(GError) error = NULL;

  if (self->closed || self->write_error != NULL)
    {
      /* Nothing more can go out: drop what was queued since. */
      g_byte_array_set_size (self->out, 0);
      self->out_pos = 0;
      return;
    }
  if (!write_available (self, &error))
    defer_write_error (self, g_steal_pointer (&error));
  else
    want_writable (self, self->out_pos < self->out->len);
}

static gboolean
writable_cb (GObject  *stream,
             gpointer  data)
{
  g_autoptr(PpConnectionRef) self = connection_ref (data);
  gsize pending = _pp_connection_get_pending (self);

  flush (self);
  /* The socket was full and the peer has taken some of it: it is alive,
   * even while its answers are queued behind a large frame of ours. (Bytes
   * that merely fit in the socket's buffer prove nothing.) */
  if (_pp_connection_get_pending (self) < pending)
    self->last_activity = g_get_monotonic_time ();
  if (self->write_source == NULL && !self->closed && self->write_error == NULL &&
      self->callbacks->drained != NULL)
    self->callbacks->drained (self, self->user_data);
  return G_SOURCE_CONTINUE;
}

void
_pp_connection_flush (PpConnection *self)
{
  g_return_if_fail (self != NULL);

  /* While a writable source waits, the socket is known to be full. */
  if (self->write_source == NULL)
    flush (self);
}

void
_pp_connection_send (PpConnection *self,
                     const char   *header,
                     gsize         header_len,
                     const void   *body,
                     gsize         body_len)
{
  g_return_if_fail (self != NULL);

  if (self->closed)
    return;
  _pp_frame_append (self->out, header, header_len, body, body_len);
  _pp_connection_flush (self);
}

void
_pp_connection_send_json (PpConnection *self,
                          JsonObject   *header,
                          const void   *body,
                          gsize         body_len)
{
  g_return_if_fail (self != NULL);

  if (self->closed)
    return;
  _pp_frame_append_json (self->out, header, body, body_len);
  _pp_connection_flush (self);
}

GByteArray *
_pp_connection_get_out (PpConnection *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->out;
}

gsize
_pp_connection_get_pending (PpConnection *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->out->len - self->out_pos;
}

void
_pp_connection_set_paused (PpConnection *self,
                           gboolean      paused)
{
  g_return_if_fail (self != NULL);

  paused = !!paused;
  if (self->closed || self->paused == paused)
    return;
  self->paused = paused;
  /* Not listening, the connection cannot hear silence either: the timeout
   * starts afresh on resuming. */
  if (paused)
    {
      clear_source (&self->read_source);
      clear_source (&self->timeout_source);
    }
  else
    {
      /* Frames read before the pause go first. */
      start_reading (self);
      g_source_set_ready_time (self->read_source, 0);
      if (self->timeout_ms > 0)
        _pp_connection_set_timeout_ms (self, self->timeout_ms);
    }
}

void
_pp_connection_set_limits (PpConnection *self,
                           gsize         max_header,
                           gsize         max_body)
{
  g_return_if_fail (self != NULL);
  _pp_frame_reader_set_limits (self->reader, max_header, max_body);
}

static gboolean
timeout_dispatch (GSource     *source,
                  GSourceFunc  callback,
                  gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs timeout_funcs = {
  .dispatch = timeout_dispatch,
};

static gint64
get_deadline (PpConnection *self)
{
  return self->last_activity + (gint64) self->timeout_ms * 1000;
}

static gboolean
timeout_cb (gpointer data)
{
  g_autoptr(PpConnectionRef) self = connection_ref (data);
  g_autoptr(GError) error = NULL;

  if (g_get_monotonic_time () < get_deadline (self))
    {
      /* Bytes moved since the timer was set: wait for the new deadline. */
      g_source_set_ready_time (self->timeout_source, get_deadline (self));
      return G_SOURCE_CONTINUE;
    }
  if (self->timeout_ms % 1000 == 0)
    error = g_error_new (PP_ERROR, PP_ERROR_PROTOCOL, "no data from %s for %u s",
                         self->peer, self->timeout_ms / 1000);
  else
    error = g_error_new (PP_ERROR, PP_ERROR_PROTOCOL, "no data from %s for %u ms",
                         self->peer, self->timeout_ms);
  report_closed (self, error);
  return G_SOURCE_REMOVE;
}

void
_pp_connection_set_timeout_ms (PpConnection *self,
                               guint         milliseconds)
{
  g_return_if_fail (self != NULL);

  if (self->closed)
    return;
  self->timeout_ms = milliseconds;
  self->last_activity = g_get_monotonic_time ();
  if (milliseconds == 0)
    {
      clear_source (&self->timeout_source);
      return;
    }
  if (self->timeout_source == NULL)
    {
      self->timeout_source = g_source_new (&timeout_funcs, sizeof (GSource));
      g_source_set_callback (self->timeout_source, timeout_cb, self, NULL);
      g_source_set_static_name (self->timeout_source, "[pp-glib] connection timeout");
      g_source_set_can_recurse (self->timeout_source, TRUE);
      g_source_attach (self->timeout_source, self->context);
    }
  g_source_set_ready_time (self->timeout_source, get_deadline (self));
}

void
_pp_connection_set_timeout (PpConnection *self,
                            guint         seconds)
{
  _pp_connection_set_timeout_ms (self, MIN (seconds, G_MAXUINT / 1000) * 1000);
}

guint
_pp_heartbeat_get_interval (void)
{
  const char *value = g_getenv ("PP_HEARTBEAT_MS");
  guint64 ms;

  if (value == NULL ||
      !g_ascii_string_to_unsigned (value, 10, PP_HEARTBEAT_MIN_MS, PP_HEARTBEAT_MAX_MS, &ms, NULL))
    return PP_HEARTBEAT_DEFAULT_MS;
  return ms;
}

/* The bytes read and written on the connection so far. */
void
_pp_connection_get_bytes (PpConnection *self,
                          guint64      *bytes_in,
                          guint64      *bytes_out)
{
  *bytes_in = self->bytes_in;
  *bytes_out = self->bytes_out;
}

const char *
_pp_connection_get_peer (PpConnection *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->peer;
}

GIOStream *
_pp_connection_get_stream (PpConnection *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->stream;
}

void
_pp_connection_close (PpConnection *self)
{
  g_return_if_fail (self != NULL);

  if (self->closed)
    return;
  if (self->write_error == NULL)
    {
      g_autoptr(GError) error = NULL;

      write_available (self, &error);
    }
  shut_down (self);
}

void
_pp_connection_free (PpConnection *self)
{
  if (self == NULL)
    return;
  _pp_connection_close (self);
  connection_unref (self);
}
