/* ppd-http-websocket.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _PpdWebsocket PpdWebsocket;

#define PPD_WEBSOCKET_HEADER_MAX 10

typedef void (*PpdWebsocketClosedFunc) (PpdWebsocket *websocket,
                                        gpointer      data);

PpdWebsocket *ppd_websocket_new         (GIOStream              *stream,
                                         gsize                   max_pending,
                                         PpdWebsocketClosedFunc  closed_func,
                                         gpointer                closed_data);
gboolean      ppd_websocket_send_text   (PpdWebsocket           *self,
                                         const char             *text,
                                         gsize                   len);
gboolean      ppd_websocket_send_frames (PpdWebsocket           *self,
                                         const guint8           *frames,
                                         gsize                   len);
gsize         ppd_websocket_frame_header (guint8                *header,
                                          guint8                 opcode,
                                          gsize                  len);
void          ppd_websocket_close       (PpdWebsocket           *self,
                                         gushort                 code,
                                         const char             *reason,
                                         gboolean                discard);
gsize         ppd_websocket_get_pending (PpdWebsocket           *self);
gboolean      ppd_websocket_is_open     (PpdWebsocket           *self);
void          ppd_websocket_free        (PpdWebsocket           *self);

G_END_DECLS
