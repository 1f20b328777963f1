/* ppd-http-websocket.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ppd-http-websocket.h"

/* The server end of a WebSocket (RFC 6455) after libsoup has answered the
 * handshake and handed over the connection, for ppd's event stream: it
 * sends text frames and reads only to answer pings and closes.
 *
 * Why not SoupWebsocketConnection: it allocates, logs and writes each
 * frame on its own and queues without bound. Here frames are appended to
 * one output buffer and written together, as much as the socket takes:
 * framed batches (send_frames()) at once, single messages (send_text())
 * on the next main loop iteration; the buffer is bounded (both say when
 * it is full, and the caller drops the reader). A client frame over
 * MAX_CLIENT_PAYLOAD, or unmasked, closes the connection (1009, 1002). */

#define MAX_CLIENT_PAYLOAD 125   /* control frames; ppd expects no data */
#define CLOSE_GRACE        2     /* s for the peer to answer a close */
#define READ_SIZE          4096
#define COMPACT_AFTER      (64 * 1024)

struct _PpdWebsocket
{
  GIOStream             *stream;
  GPollableInputStream  *input;
  GPollableOutputStream *output;
  GSource               *read_source;
  GSource               *write_source;
  GSource               *flush_source;
  guint                  grace_source;
  guint                  closed_source;
  GByteArray            *in;
  GByteArray            *out;
  gsize                  out_pos;
  gsize                  max_pending;
  gboolean               close_sent;
  gboolean               closed;
  PpdWebsocketClosedFunc closed_func;
  gpointer               closed_data;
};

static void websocket_flush (PpdWebsocket *self);

static gboolean
notify_closed_cb (gpointer data)
{
  PpdWebsocket *self = data;

  self->closed_source = 0;
  self->closed_func (self, self->closed_data);
  return G_SOURCE_REMOVE;
}

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* The end: the stream is closed and the owner told, once, from the main
 * loop (so that it may free @self there). */
static void
websocket_finish (PpdWebsocket *self)
{
  if (self->closed)
    return;
  self->closed = TRUE;
  destroy_source (&self->read_source);
  destroy_source (&self->write_source);
  destroy_source (&self->flush_source);
  g_clear_handle_id (&self->grace_source, g_source_remove);
  g_io_stream_close (self->stream, NULL, NULL);
  self->closed_source = g_idle_add (notify_closed_cb, self);
}

/**
 * ppd_websocket_frame_header:
 * @header: (out caller-allocates): PPD_WEBSOCKET_HEADER_MAX bytes
 * @opcode: 0x1 text, 0x8 close, 0xa pong, ...
 * @len: the payload's length
 *
 * Writes the header of an unmasked, final frame (as a server sends it).
 *
 * Returns: its length
 */
gsize
ppd_websocket_frame_header (guint8 *header,
                            guint8  opcode,
                            gsize   len)
{
  header[0] = 0x80 | opcode;
  if (len < 126)
    {
      header[1] = len;
      return 2;
    }
  if (len <= G_MAXUINT16)
    {
      header[1] = 126;
      header[2] = len >> 8;
      header[3] = len & 0xff;
      return 4;
    }
  header[1] = 127;
  for (int i = 0; i < 8; i++)
    header[2 + i] = (guint64) len >> (56 - 8 * i);
  return 10;
}

static void
append_frame (PpdWebsocket *self,
              guint8        opcode,
              const void   *payload,
              gsize         len)
{
  guint8 header[PPD_WEBSOCKET_HEADER_MAX];

  g_byte_array_append (self->out, header, ppd_websocket_frame_header (header, opcode, len));
  g_byte_array_append (self->out, payload, len);
}

static gsize
pending (PpdWebsocket *self)
{
  return self->out->len - self->out_pos;
}

static gboolean
writable_cb (GObject  *stream,
             gpointer  data)
{
  PpdWebsocket *self = data;

  g_clear_pointer (&self->write_source, g_source_unref);
  websocket_flush (self);
  return G_SOURCE_REMOVE;
}

/* Writes what the socket takes now; waits for it to take more. */
static void
websocket_flush (PpdWebsocket *self)
{
  while (pending (self) > 0 && !self->closed)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_pollable_output_stream_write_nonblocking (self->output,
                                                             self->out->data + self->out_pos,
                                                             pending (self), NULL, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          if (self->write_source == NULL)
            {
              self->write_source = g_pollable_output_stream_create_source (self->output, NULL);
              g_source_set_callback (self->write_source, G_SOURCE_FUNC (writable_cb), self, NULL);
              g_source_attach (self->write_source, NULL);
            }
          return;
        }
      if (n < 0)
        {
          websocket_finish (self);
          return;
        }
      self->out_pos += n;
      /* A reader always a little behind never empties the buffer: what
       * was written goes once it is most of it. */
      if (self->out_pos >= COMPACT_AFTER && self->out_pos >= pending (self))
        {
          g_byte_array_remove_range (self->out, 0, self->out_pos);
          self->out_pos = 0;
        }
    }
  g_byte_array_set_size (self->out, 0);
  self->out_pos = 0;
}

static gboolean
flush_cb (gpointer data)
{
  PpdWebsocket *self = data;

  g_clear_pointer (&self->flush_source, g_source_unref);
  websocket_flush (self);
  return G_SOURCE_REMOVE;
}

/* Frames appended in one main loop iteration leave together. */
static void
schedule_flush (PpdWebsocket *self)
{
  if (self->flush_source != NULL || self->write_source != NULL || self->closed)
    return;
  self->flush_source = g_idle_source_new ();
  g_source_set_priority (self->flush_source, G_PRIORITY_DEFAULT);
  g_source_set_callback (self->flush_source, flush_cb, self, NULL);
  g_source_attach (self->flush_source, NULL);
}

static gboolean
grace_over_cb (gpointer data)
{
  PpdWebsocket *self = data;

  self->grace_source = 0;
  websocket_finish (self);
  return G_SOURCE_REMOVE;
}

/**
 * ppd_websocket_close:
 * @self: a WebSocket
 * @code: the close code (1000 normal, 1001 going away, 1008 policy, ...)
 * @reason: (nullable): why, up to 123 bytes of it
 * @discard: whether what is queued and not yet begun may be dropped
 *
 * Sends a close frame after what is queued (or instead of it when
 * @discard) and closes the connection once the peer answers, or after
 * CLOSE_GRACE seconds.
 */
void
ppd_websocket_close (PpdWebsocket *self,
                     gushort       code,
                     const char   *reason,
                     gboolean      discard)
{
  guint8 payload[MAX_CLIENT_PAYLOAD] = { code >> 8, code & 0xff };
  gsize len = reason ? MIN (strlen (reason), sizeof payload - 2) : 0;

  if (self->close_sent || self->closed)
    return;
  self->close_sent = TRUE;
  /* A frame begun must be finished: only an untouched queue is dropped. */
  if (discard && self->out_pos == 0)
    g_byte_array_set_size (self->out, 0);
  if (len > 0)
    memcpy (payload + 2, reason, len);
  append_frame (self, 0x8, payload, len + 2);
  websocket_flush (self);
  if (!self->closed)
    self->grace_source = g_timeout_add_seconds (CLOSE_GRACE, grace_over_cb, self);
}

/* Client frames ----------------------------------------------------------- */

/* Handles the first complete frame of @self->in; returns its size, 0 when
 * incomplete, -1 when the connection was closed. */
static gssize
handle_frame (PpdWebsocket *self)
{
  const guint8 *data = self->in->data;
  gsize len = self->in->len, payload_len;
  guint8 opcode, payload[MAX_CLIENT_PAYLOAD];

  if (len < 2)
    return 0;
  opcode = data[0] & 0x0f;
  payload_len = data[1] & 0x7f;
  if ((data[1] & 0x80) == 0 || payload_len > MAX_CLIENT_PAYLOAD)
    {
      ppd_websocket_close (self, (data[1] & 0x80) == 0 ? 1002 : 1009,
                           (data[1] & 0x80) == 0 ? "client frames must be masked"
                                                 : "ppd reads no data", TRUE);
      return -1;
    }
  if (len < 6 + payload_len)
    return 0;
  for (gsize i = 0; i < payload_len; i++)
    payload[i] = data[6 + i] ^ data[2 + i % 4];
  if (opcode == 0x8)
    {
      /* The peer closes: answered, then closed. */
      ppd_websocket_close (self, 1000, NULL, TRUE);
      websocket_flush (self);
      websocket_finish (self);
      return -1;
    }
  if (opcode == 0x9)
    {
      append_frame (self, 0xa, payload, payload_len);
      schedule_flush (self);
    }
  return 6 + payload_len;
}

static gboolean
readable_cb (GObject  *stream,
             gpointer  data)
{
  PpdWebsocket *self = data;
  g_autoptr(GError) error = NULL;
  guint8 buffer[READ_SIZE];
  gssize n = g_pollable_input_stream_read_nonblocking (self->input, buffer, sizeof buffer,
                                                       NULL, &error);
  gssize used;

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      g_clear_pointer (&self->read_source, g_source_unref);
      websocket_finish (self);
      return G_SOURCE_REMOVE;
    }
  g_byte_array_append (self->in, buffer, n);
  while ((used = handle_frame (self)) > 0)
    g_byte_array_remove_range (self->in, 0, used);
  if (used < 0)
    {
      g_clear_pointer (&self->read_source, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* Life ------------------------------------------------------------------- */

/**
 * ppd_websocket_new:
 * @stream: the connection, after the handshake (libsoup's, stolen)
 * @max_pending: bytes queued at most (send_text() fails beyond)
 * @closed_func: called once, from the main loop, when the connection is
 *   closed; it may free the WebSocket
 * @closed_data: its data
 *
 * Returns: (transfer full): the WebSocket
 */
PpdWebsocket *
ppd_websocket_new (GIOStream              *stream,
                   gsize                   max_pending,
                   PpdWebsocketClosedFunc  closed_func,
                   gpointer                closed_data)
{
  PpdWebsocket *self = g_new0 (PpdWebsocket, 1);

  self->stream = g_object_ref (stream);
  self->input = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  self->output = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
  self->in = g_byte_array_new ();
  self->out = g_byte_array_new ();
  self->max_pending = max_pending;
  self->closed_func = closed_func;
  self->closed_data = closed_data;
  self->read_source = g_pollable_input_stream_create_source (self->input, NULL);
  g_source_set_callback (self->read_source, G_SOURCE_FUNC (readable_cb), self, NULL);
  g_source_attach (self->read_source, NULL);
  return self;
}

/**
 * ppd_websocket_send_text:
 * @self: a WebSocket
 * @text: one message, UTF-8
 * @len: its length
 *
 * Queues @text as one text frame, sent on the next main loop iteration.
 *
 * Returns: %FALSE when the reader is max_pending bytes behind (nothing is
 *   queued), or the connection is closing
 */
gboolean
ppd_websocket_send_text (PpdWebsocket *self,
                         const char   *text,
                         gsize         len)
{
  if (self->close_sent || self->closed)
    return FALSE;
  if (pending (self) + len > self->max_pending)
    return FALSE;
  append_frame (self, 0x1, text, len);
  schedule_flush (self);
  return TRUE;
}

/**
 * ppd_websocket_send_frames:
 * @self: a WebSocket
 * @frames: whole frames (of ppd_websocket_frame_header() and payloads)
 * @len: their length
 *
 * Queues @frames and writes what the socket takes now.
 *
 * Returns: %FALSE when the reader would be more than max_pending bytes
 *   behind (nothing is queued), or the connection is closing
 */
gboolean
ppd_websocket_send_frames (PpdWebsocket *self,
                           const guint8 *frames,
                           gsize         len)
{
  if (self->close_sent || self->closed)
    return FALSE;
  if (pending (self) + len > self->max_pending)
    return FALSE;
  g_byte_array_append (self->out, frames, len);
  if (self->write_source == NULL)
    websocket_flush (self);
  return TRUE;
}

gsize
ppd_websocket_get_pending (PpdWebsocket *self)
{
  return pending (self);
}

gboolean
ppd_websocket_is_open (PpdWebsocket *self)
{
  return !self->close_sent && !self->closed;
}

void
ppd_websocket_free (PpdWebsocket *self)
{
  destroy_source (&self->read_source);
  destroy_source (&self->write_source);
  destroy_source (&self->flush_source);
  g_clear_handle_id (&self->grace_source, g_source_remove);
  g_clear_handle_id (&self->closed_source, g_source_remove);
  if (!self->closed)
    g_io_stream_close (self->stream, NULL, NULL);
  g_clear_object (&self->stream);
  g_byte_array_unref (self->in);
  g_byte_array_unref (self->out);
  g_free (self);
}
