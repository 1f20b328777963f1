/* pp-remote-node-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pp-frame-private.h"
#include "pp-node-private.h"

G_BEGIN_DECLS

#define PP_DEFAULT_PORT 60000

#define PP_TYPE_REMOTE_NODE (pp_remote_node_get_type ())

G_DECLARE_FINAL_TYPE (PpRemoteNode, pp_remote_node, PP, REMOTE_NODE, PpNode)

/* A client's link to one ppd node, as a node: connecting, TLS, the
 * handshake, heartbeats and reconnecting with backoff, and what it answers:
 * results, lost connections (its jobs go back to the queue). The
 * connection runs on one GMainContext (the server's I/O thread); the
 * scheduling fields are under the server's lock. */

struct _PpRemoteNode
{
  PpNode      parent_instance;

  /* Owned by the server, under its lock */
  GHashTable *in_flight;    /* job id → PpJob */
  GHashTable *defined;      /* function keys sent on this connection */
  guint64     njobs;
  guint64     nfailed;
  double      time_sum;
  gboolean    ready;
  gboolean    was_ready;    /* ever, since it was added */
  gboolean    refused;      /* the last handshake was refused */
  char       *last_error;
  guint       ncpus;
};

PpRemoteNode *_pp_remote_node_new         (const char                  *address,
                                           const char                  *secret,
                                           gboolean                     use_tls,
                                           guint                        socket_timeout,
                                           gsize                        max_body,
                                           GMainContext                *context,
                                           PpScheduler                 *sched,
                                           const PpNodeHost            *host,
                                           gpointer                     host_data);
void          _pp_remote_node_set_discovered (PpRemoteNode          *self);
/* "host:port" as configured. */
const char   *_pp_remote_node_get_address (PpRemoteNode                *self);
void          _pp_remote_node_start       (PpRemoteNode                *self);
/* Frames for an authenticated node; flushed by _pp_remote_node_flush(). */
GByteArray   *_pp_remote_node_get_out     (PpRemoteNode                *self);
void          _pp_remote_node_flush       (PpRemoteNode                *self);
/* On the node's context, once the server has taken back its jobs: closes
 * the connection for good; no callback comes after. */
void          _pp_remote_node_shutdown    (PpRemoteNode                *self);
/* With the server's lock: gives back every job the node holds, to the
 * front of the queue, and forgets what it defined. */
void          _pp_remote_node_take_back_locked (PpRemoteNode           *self);
/* PpNode's snapshot_locked and dup_workers_locked (pp-remote-node-figures.c) */
void          _pp_remote_node_snapshot_locked    (PpNode                 *node,
                                                  PpNodeValues           *values);
GVariant     *_pp_remote_node_dup_workers_locked (PpNode                 *node);

G_END_DECLS
