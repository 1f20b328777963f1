/* pp-node-service-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pp-connection-private.h"
#include "pp-node-admission-private.h"
#include "pp-node-service.h"
#include "pp-server.h"

G_BEGIN_DECLS

/* The listener's side of a node service, which pp-node-client.c (one
 * client's connection) and pp-node-admission.c (what happens before
 * authentication) reach into: the service's state, and the counters and
 * signals a client changes. */

struct _PpNodeService
{
  GObject          parent_instance;

  PpServer        *pool;
  char            *secret;
  GTlsCertificate *certificate;
  guint            socket_timeout;
  guint            heartbeat_ms;
  guint            handshake_timeout;
  guint64          max_queued_output;

  GSocketService  *listener;
  GMainContext    *context;
  guint16          port;

  /* Every open connection, authenticated or not. */
  GHashTable      *clients;
  /* PpJob → PpNodeRemoteJob, for every job sent to the pool and not answered */
  GHashTable      *tracked;
  /* Clients in their handshake, oldest first (not the held ones) */
  GQueue           pending;
  guint            n_held;
  /* address → Peer */
  GHashTable      *peers;
  GSource         *peer_tick;
  guint            log_budget;
  /* Connections that failed or were refused before authenticating */
  guint64          handshake_failures;
  guint            n_clients;
  guint            active_jobs;
  guint            notify_active_source;

  /* Bytes read from and written to the clients gone (pp-node-service-status.c
   * adds those of the open ones) */
  guint64          closed_bytes_in;
  guint64          closed_bytes_out;
};

void   _pp_node_service_set_active_jobs     (PpNodeService *self,
                                             guint          active_jobs);
void   _pp_node_service_client_connected    (PpNodeService *self,
                                             const char    *peer);
void   _pp_node_service_client_disconnected (PpNodeService *self,
                                             const char    *peer,
                                             const char    *reason);
void   _pp_node_service_set_port            (PpNodeService *self,
                                             guint16        port);
/* pp-node-service-status.c: counts the bytes of a client's connection
 * being closed. */
void   _pp_node_service_add_closed_bytes    (PpNodeService *self,
                                             PpConnection  *connection);
/* pp-node-service-status.c: remembers on @job which client sent it, for
 * pp_node_service_dup_job_peer() after the job has left the tracked table. */
void   _pp_node_service_mark_job            (PpJob         *job,
                                             const char    *peer);

G_END_DECLS
