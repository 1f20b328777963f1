/* pp-connection-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pp-frame-private.h"

G_BEGIN_DECLS

/* A framed connection over a GIOStream (a TCP GSocketConnection, or a
 * GTlsConnection over one): frames in, frames out, on one GMainContext.
 * See docs/protocol.md. Both the client side (PpServer's remote nodes) and
 * the node side (PpNodeService) use it. Not thread-safe: every call happens
 * on the thread that runs @context. */
typedef struct _PpConnection PpConnection;

/* Heartbeats (docs/protocol.md): a client pings its node every interval,
 * the node answers at once, and either side gives the other up once
 * nothing has come from it, nor been taken by it, for PP_HEARTBEAT_MISSES
 * intervals. The interval is PP_HEARTBEAT_MS milliseconds when that is set
 * (for tests), clamped to PP_HEARTBEAT_MIN_MS..PP_HEARTBEAT_MAX_MS. */
#define PP_HEARTBEAT_DEFAULT_MS 2000
#define PP_HEARTBEAT_MIN_MS     50
#define PP_HEARTBEAT_MAX_MS     60000
#define PP_HEARTBEAT_MISSES     5

typedef struct
{
  /* A frame arrived; the callee owns @frame. */
  void (*frame)  (PpConnection *connection,
                  PpFrame      *frame,
                  gpointer      user_data);
  /* The connection is closed and will report nothing more: @error says why
   * (%NULL when the peer closed it cleanly). Not called after
   * _pp_connection_close(). The callee may free @connection here. */
  void (*closed) (PpConnection *connection,
                  const GError *error,
                  gpointer      user_data);
  /* Optional. The peer broke the frame format (@error says how): the
   * callee may send a last frame (an "error") or close; the connection
   * closes right after, and closed() follows unless the callee closed it. */
  void (*malformed) (PpConnection *connection,
                     const GError *error,
                     gpointer      user_data);
  /* Optional. Everything queued has been written, after the socket had
   * been full: the peer reads again. */
  void (*drained) (PpConnection *connection,
                   gpointer      user_data);
} PpConnectionCallbacks;

/* Takes a reference on @stream; sets TCP_NODELAY on a socket connection
 * (or the socket under a TLS connection). Starts reading at once. */
PpConnection *_pp_connection_new          (GIOStream                   *stream,
                                           GMainContext                *context,
                                           const PpConnectionCallbacks *callbacks,
                                           gpointer                     user_data);
/* Frame size limits for what is read; tightened before authentication. */
void          _pp_connection_set_limits   (PpConnection                *self,
                                           gsize                        max_header,
                                           gsize                        max_body);
/* Closes with a PP_ERROR_PROTOCOL "no data" error once nothing arrived for
 * @seconds, nor was taken by the peer from a full socket (0: never). */
void          _pp_connection_set_timeout  (PpConnection                *self,
                                           guint                        seconds);
void          _pp_connection_set_timeout_ms (PpConnection              *self,
                                             guint                      milliseconds);
/* Queue a whole frame; it goes out in one write as soon as possible. */
void          _pp_connection_send         (PpConnection                *self,
                                           const char                  *header,
                                           gsize                        header_len,
                                           const void                  *body,
                                           gsize                        body_len);
void          _pp_connection_send_json    (PpConnection                *self,
                                           JsonObject                  *header,
                                           const void                  *body,
                                           gsize                        body_len);
/* The buffer _pp_connection_send() appends to, for callers that encode many
 * frames at once (call _pp_connection_flush() after). */
GByteArray   *_pp_connection_get_out      (PpConnection                *self);
void          _pp_connection_flush        (PpConnection                *self);
/* Bytes queued and not yet written. */
gsize         _pp_connection_get_pending  (PpConnection                *self);
/* While paused, nothing more is read or handed on (frames already read
 * wait) and the timeout does not run; writing goes on. */
void          _pp_connection_set_paused   (PpConnection                *self,
                                           gboolean                     paused);
/* "address:port" of the peer. */
const char   *_pp_connection_get_peer     (PpConnection                *self);
void          _pp_connection_get_bytes    (PpConnection                *self,
                                           guint64                     *bytes_in,
                                           guint64                     *bytes_out);
GIOStream    *_pp_connection_get_stream   (PpConnection                *self);
/* Flushes what is queued (best effort, without blocking), then closes the
 * stream. No callback follows. */
void          _pp_connection_close        (PpConnection                *self);
void          _pp_connection_free         (PpConnection                *self);

guint         _pp_heartbeat_get_interval  (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpConnection, _pp_connection_free)

G_END_DECLS
