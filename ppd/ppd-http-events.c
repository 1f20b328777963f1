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
 * Each reader is a PpdWebsocket (ppd-http-websocket.c): the batch of
 * events (below) is appended to its output buffer and written, as much as
 * the socket takes; a reader MAX_QUEUED_BYTES behind is closed with code 1008
 * and a reason, its connection closed CLOSE_GRACE seconds later if it does
 * not answer. The socket's send buffer (SEND_BUFFER) takes a whole batch
 * (below) in one write: a smaller one (64 KiB was tried) split each batch
 * into partial writes, each waking ppd on G_IO_OUT and the reader again;
 * bounded still, so that a reader that stops reading is found soon.
 * Nothing is built while no one reads. */

#define MAX_READERS       16
#define MAX_QUEUED_BYTES  (4 * 1024 * 1024)
#define SEND_BUFFER       (512 * 1024)
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

/* Events are written by hand, not with JsonBuilder, GString or printf,
 * straight into self->batch, framed once for all readers; the batch goes
 * to the readers BATCH_INTERVAL after its first event (or once it holds
 * BATCH_MAX bytes), many frames per write: there may be two events per
 * job, and this is the cost of a reader to the jobs. BATCH_MAX is more
 * than 25 ms of events at ~100,000 jobs/s (~300 bytes a job): at 256 KiB
 * a busy ppd flushed (and woke the reader) some 100 times a second. */

#define BATCH_INTERVAL 25             /* ms */
#define BATCH_MAX      (1024 * 1024)
#define FIXED_MAX      256            /* an event but its strings */

/* A string for an event: measured, made valid UTF-8. */
typedef struct
{
  const char *text;    /* nullable */
  gsize       len;
  char       *valid;   /* owned, when @text was not valid */
} Text;

/* Returns: the room @text takes in an event at most */
static gsize
text_init (Text       *text,
           const char *value)
{
  text->text = value;
  text->valid = NULL;
  text->len = value ? strlen (value) : 0;
  if (value != NULL && !g_utf8_validate_len (value, text->len, NULL))
    {
      text->text = text->valid = g_utf8_make_valid (value, text->len);
      text->len = strlen (text->valid);
    }
  return 6 * text->len + 32;
}

static void
text_clear (Text *text)
{
  g_clear_pointer (&text->valid, g_free);
}

static inline char *
put (char       *p,
     const char *literal)
{
  gsize len = strlen (literal);

  memcpy (p, literal, len);
  return p + len;
}

static char *
put_uint (char    *p,
          guint64  value)
{
  char digits[20];
  gsize n = sizeof digits;

  do
    {
      digits[--n] = '0' + value % 10;
      value /= 10;
    }
  while (value != 0);
  memcpy (p, digits + n, sizeof digits - n);
  return p + sizeof digits - n;
}

/* Seconds to the microsecond. */
static char *
put_seconds (char   *p,
             gint64  microseconds)
{
  gint64 part;

  if (microseconds < 0)
    microseconds = 0;
  p = put_uint (p, microseconds / G_USEC_PER_SEC);
  *p = '.';
  part = microseconds % G_USEC_PER_SEC;
  for (int i = 6; i > 0; i--, part /= 10)
    p[i] = '0' + part % 10;
  return p + 7;
}

static gint64
to_microseconds (double seconds)
{
  return (gint64) (seconds * G_USEC_PER_SEC + 0.5);
}

/* @text as a JSON string (or null). */
static char *
put_text (char       *p,
          const Text *text)
{
  static const char hex[] = "0123456789abcdef";

  if (text->text == NULL)
    return put (p, "null");
  *p++ = '"';
  for (gsize i = 0; i < text->len; i++)
    {
      guchar c = text->text[i];

      if (c >= 0x20 && c != '"' && c != '\\')
        *p++ = c;
      else if (c == '"' || c == '\\')
        {
          *p++ = '\\';
          *p++ = c;
        }
      else
        {
          p = put (p, "\\u00");
          *p++ = hex[c >> 4];
          *p++ = hex[c & 0xf];
        }
    }
  *p++ = '"';
  return p;
}

/**
 * ppd_http_events_quote:
 * @text: valid UTF-8
 * @len: (out): the length of the result
 *
 * Returns: (transfer full): @text as a JSON string, as events carry it
 */
char *
ppd_http_events_quote (const char *text,
                       gsize      *len)
{
  Text value = { text, strlen (text), NULL };
  char *quoted = g_malloc (6 * value.len + 3);
  char *end = put_text (quoted, &value);

  *end = '\0';
  *len = end - quoted;
  return quoted;
}

static void
reader_send (Reader       *reader,
             const guint8 *frames,
             gsize         len)
{
  if (reader->dropped || !ppd_websocket_is_open (reader->ws))
    return;
  if (!ppd_websocket_send_frames (reader->ws, frames, len))
    drop_reader (reader);
}

/* Hands the batch to every reader. */
static void
flush_batch (PpdHttp *self)
{
  g_clear_handle_id (&self->batch_flush, g_source_remove);
  if (self->batch->len == 0)
    return;
  for (guint i = 0; i < self->readers->len; i++)
    reader_send (g_ptr_array_index (self->readers, i), self->batch->data, self->batch->len);
  g_byte_array_set_size (self->batch, 0);
}

static gboolean
batch_flush_cb (gpointer data)
{
  PpdHttp *self = data;

  self->batch_flush = 0;
  flush_batch (self);
  return G_SOURCE_REMOVE;
}

/* Makes room for an event of @room bytes at most at the batch's end, and
 * writes its beginning ({"seq":N,"type":@type,"time":@microseconds). The
 * payload goes after room for the largest frame header. */
static char *
begin_event (PpdHttp    *self,
             const char *type,
             gint64      microseconds,
             gsize       room)
{
  gsize start = self->batch->len;
  char *p;

  g_byte_array_set_size (self->batch, start + PPD_WEBSOCKET_HEADER_MAX + FIXED_MAX + room);
  p = (char *) self->batch->data + start + PPD_WEBSOCKET_HEADER_MAX;
  self->event_start = start;
  p = put (p, "{\"seq\":");
  p = put_uint (p, ++self->seq);
  p = put (p, ",\"type\":\"");
  p = put (p, type);
  p = put (p, "\",\"time\":");
  return put_seconds (p, microseconds);
}

/* Closes the event ending at @p, writes its frame header and moves the
 * payload to it. */
static void
end_event (PpdHttp *self,
           char    *p)
{
  guint8 *frame = self->batch->data + self->event_start;
  guint8 *payload = frame + PPD_WEBSOCKET_HEADER_MAX;
  gsize len, header_len;

  *p++ = '}';
  len = (guint8 *) p - payload;
  header_len = ppd_websocket_frame_header (frame, 0x1, len);
  memmove (frame + header_len, payload, len);
  g_byte_array_set_size (self->batch, self->event_start + header_len + len);
  if (self->batch->len >= BATCH_MAX)
    flush_batch (self);
  else if (self->batch_flush == 0)
    self->batch_flush = g_timeout_add (BATCH_INTERVAL, batch_flush_cb, self);
}

static gsize
name_room (PpdHttpName *name)
{
  return name != NULL ? name->json_len : 4;
}

/* @name, written as JSON once (ppd-http-api.c), or null. */
static char *
put_name (char        *p,
          PpdHttpName *name)
{
  if (name == NULL)
    return put (p, "null");
  memcpy (p, name->json, name->json_len);
  return p + name->json_len;
}

static char *
begin_job_event (PpdHttp    *self,
                 const char *type,
                 double      time,
                 PpdHttpJob *job)
{
  gsize room = name_room (job->function) + name_room (job->group) + name_room (job->client);
  char *p = begin_event (self, type, to_microseconds (time), room);

  p = put (p, ",\"job\":");
  p = put_uint (p, job->id);
  p = put (p, ",\"function\":");
  p = put_name (p, job->function);
  p = put (p, ",\"group\":");
  p = put_name (p, job->group);
  p = put (p, ",\"client\":");
  return put_name (p, job->client);
}

void
ppd_http_events_job_started (PpdHttp    *self,
                             PpdHttpJob *job)
{
  char *p;

  if (self->readers->len == 0)
    {
      self->seq++;
      return;
    }
  p = begin_job_event (self, "job-started", job->started, job);
  p = put (p, ",\"worker\":");
  end_event (self, put_uint (p, job->worker));
}

void
ppd_http_events_job_finished (PpdHttp    *self,
                              PpdHttpJob *job)
{
  static const char * const states[] = {
    [PP_JOB_STATE_DONE] = "done", [PP_JOB_STATE_FAILED] = "failed",
    [PP_JOB_STATE_CANCELLED] = "cancelled",
  };
  char *p;

  if (self->readers->len == 0)
    {
      self->seq++;
      return;
    }
  p = begin_job_event (self, "job-finished", job->finished, job);
  p = put (p, ",\"state\":\"");
  p = put (p, job->state < G_N_ELEMENTS (states) && states[job->state]
              ? states[job->state] : "failed");
  p = put (p, "\",\"run_time\":");
  end_event (self, put_seconds (p, to_microseconds (job->run_time)));
}

void
ppd_http_events_client (PpdHttp    *self,
                        const char *type,
                        const char *address,
                        const char *reason)
{
  gboolean left = g_str_equal (type, "client-left");
  Text texts[2];
  gsize room = text_init (&texts[0], address) + text_init (&texts[1], left ? (reason ? reason : "") : NULL);
  char *p = begin_event (self, type, g_get_real_time (), room);

  p = put (p, ",\"address\":");
  p = put_text (p, &texts[0]);
  if (left)
    {
      p = put (p, ",\"reason\":");
      p = put_text (p, &texts[1]);
    }
  end_event (self, p);
  text_clear (&texts[0]);
  text_clear (&texts[1]);
}

void
ppd_http_events_workers_changed (PpdHttp *self)
{
  char *p = begin_event (self, "workers-changed", g_get_real_time (), 0);

  p = put (p, ",\"workers\":");
  end_event (self, put_uint (p, pp_server_get_ncpus (self->pool)));
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

  /* The events so far go to the readers before this one, whose begin
   * after its hello. */
  flush_batch (self);
  if (socket != NULL)
    {
      /* A WebSocket stays open: no idle timeout but TCP keepalives; a
       * small send buffer. Before its read source is made: a GSocket
       * source keeps the timeout the socket had when it was created (the
       * HTTP idle timeout, which closed a reader that never sent a frame
       * after 30 s). */
      g_socket_set_timeout (socket, 0);
      g_socket_set_keepalive (socket, TRUE);
      g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, SEND_BUFFER, NULL);
    }
  reader = g_new0 (Reader, 1);
  reader->http = self;
  reader->ws = ppd_websocket_new (stream, MAX_QUEUED_BYTES, closed_cb, reader);
  reader->peer = G_IS_INET_SOCKET_ADDRESS (remote)
    ? g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)))
    : g_strdup ("unknown");
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
  self->batch = g_byte_array_sized_new (BATCH_MAX + 1024);
  self->workers_poll = g_timeout_add_seconds (WORKERS_POLL, workers_poll_cb, self);
}

void
ppd_http_events_clear (PpdHttp *self)
{
  g_clear_handle_id (&self->workers_poll, g_source_remove);
  if (self->readers != NULL)
    {
      flush_batch (self);
      for (guint i = 0; i < self->readers->len; i++)
        {
          Reader *reader = g_ptr_array_index (self->readers, i);

          /* Best effort: what the socket takes now. */
          ppd_websocket_close (reader->ws, 1001, "ppd is stopping", TRUE);
        }
    }
  g_clear_pointer (&self->readers, g_ptr_array_unref);
  g_clear_pointer (&self->worker_pids, g_free);
  g_clear_handle_id (&self->batch_flush, g_source_remove);
  g_clear_pointer (&self->batch, g_byte_array_unref);
}
