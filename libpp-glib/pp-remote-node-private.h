/* pp-remote-node-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pp-frame-private.h"

G_BEGIN_DECLS

#define PP_DEFAULT_PORT 60000

/* A client's link to one ppd node: connecting, TLS, the handshake,
 * heartbeats and reconnecting with backoff. It runs on one GMainContext (the
 * server's I/O thread); the scheduling fields belong to the server. */
typedef struct _PpRemoteNode PpRemoteNode;

typedef struct
{
  /* Authenticated: jobs may be sent. */
  void (*ready) (PpRemoteNode *node,
                 gpointer      user_data);
  /* A frame from the authenticated node; the callee owns @frame. */
  void (*frame) (PpRemoteNode *node,
                 PpFrame      *frame,
                 gpointer      user_data);
  /* The connection of a ready node is gone; a reconnection is scheduled. */
  void (*lost)  (PpRemoteNode *node,
                 const GError *error,
                 gpointer      user_data);
} PpRemoteNodeCallbacks;

struct _PpRemoteNode
{
  /* Owned by the server, under its lock */
  GHashTable *in_flight;    /* job id → PpJob */
  GHashTable *defined;      /* function keys sent on this connection */
  guint64     njobs;
  double      time_sum;
  gboolean    ready;
  guint       ncpus;
};

PpRemoteNode *_pp_remote_node_new         (const char                  *address,
                                           const char                  *secret,
                                           gboolean                     use_tls,
                                           guint                        socket_timeout,
                                           gsize                        max_body,
                                           GMainContext                *context,
                                           const PpRemoteNodeCallbacks *callbacks,
                                           gpointer                     user_data);
/* "host:port" as configured. */
const char   *_pp_remote_node_get_address (PpRemoteNode                *self);
void          _pp_remote_node_start       (PpRemoteNode                *self);
/* Frames for an authenticated node; flushed by _pp_remote_node_flush(). */
GByteArray   *_pp_remote_node_get_out     (PpRemoteNode                *self);
void          _pp_remote_node_flush       (PpRemoteNode                *self);
void          _pp_remote_node_free        (PpRemoteNode                *self);

G_END_DECLS
