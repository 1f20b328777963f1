/* pp-node-client-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pp-connection-private.h"
#include "pp-handshake-private.h"
#include "pp-node-service-private.h"

G_BEGIN_DECLS

/* One client's connection to a node service: its handshake, its frames,
 * its function definitions, its jobs and their results, and the
 * backpressure on its reading. The service (pp-node-service.c) accepts it,
 * holds its pre-authentication slot and starts its TLS. */

typedef struct _PpNodeClient PpNodeClient;
typedef struct _PpNodeRemoteJob PpNodeRemoteJob;

/* Lives in a g_atomic_rc_box. */
struct _PpNodeClient
{
  /* %NULL once the client is closed. */
  PpNodeService     *service;
  char              *peer;
  GSocketConnection *socket;
  GTlsConnection    *tls;
  GCancellable      *cancellable;
  GSource           *deadline;
  PpConnection      *connection;
  /* %NULL once the client is authenticated. */
  PpHandshake       *handshake;
  /* While unauthenticated: its address, and its place in the pending
   * queue unless it is held (its failed handshake waits to be answered) */
  Peer              *peer_record;
  GList              pending_link;
  gboolean           held;
  /* function key → Definition, and the definitions least recently used
   * first; each runs under a key salted with @salt, so that the workers
   * keep it apart from every other client's (pp-function-private.h) */
  GHashTable        *functions;
  char              *salt;
  GQueue             definitions;
  gsize              definitions_size;
  /* client job id → PpNodeRemoteJob */
  GHashTable        *jobs;
  gboolean           authenticated;
  gboolean           connection_closed;
  /* Its output is over the limit: none of its jobs is handed out (its
   * jobs' group is held on the pool) until it drains to half. */
  gboolean           dispatch_held;
  /* For pp_node_service_dup_clients() */
  double             since;
  guint64            jobs_done;
};

PpNodeClient *_pp_node_client_new            (PpNodeService     *service,
                                              GSocketConnection *socket);
PpNodeClient *_pp_node_client_ref            (PpNodeClient      *client);
void          _pp_node_client_unref          (PpNodeClient      *client);
/* "address:port" of the other end of @connection */
char         *_pp_node_client_format_peer    (GSocketConnection *connection);
G_GNUC_PRINTF (3, 4)
void          _pp_node_client_log            (PpNodeClient      *client,
                                              GLogLevelFlags     level,
                                              const char        *format,
                                              ...);
/* The handshake's deadline; then, once the stream is there (the socket,
 * or the TLS connection over it), the framed connection and the
 * handshake. */
void          _pp_node_client_start_deadline (PpNodeClient      *client);
void          _pp_node_client_start          (PpNodeClient      *client,
                                              GIOStream         *stream,
                                              GBytes            *channel_binding);
void          _pp_node_client_close          (PpNodeClient      *client,
                                              const char        *reason);
void          _pp_node_client_abort          (PpNodeClient      *client,
                                              const char        *code,
                                              const char        *message);
void          _pp_node_client_fail           (PpNodeClient      *client,
                                              const char        *code,
                                              const char        *message);
/* The pool's finished-jobs callback (_pp_server_set_finished_func()): the
 * service's tracked jobs answered to their clients. */
void          _pp_node_client_jobs_finished  (GPtrArray         *jobs,
                                              gpointer           user_data);
void          _pp_node_remote_job_free       (PpNodeRemoteJob   *remote);

/* What a header keeps of an exception's type, message and traceback, so
 * that even fully escaped (6 bytes a byte) it stays under
 * PP_FRAME_MAX_HEADER. */
#define MAX_TYPE_TEXT          1024
#define MAX_RESULT_TEXT        (64 * 1024)

/* A job of a client, owned by the service's tracked table until the pool
 * reports it finished. */
struct _PpNodeRemoteJob
{
  gint64        id;
  PpNodeClient *client;
  PpJob        *job;
};

/* Sets @member of @header to @text cut to at most @max bytes, valid UTF-8;
 * nothing when @text is %NULL. */
void          _pp_node_client_set_text       (JsonObject        *header,
                                              const char        *member,
                                              const char        *text,
                                              gsize              max);
/* Backpressure: a client that does not read its results stops being read,
 * so that the node holds a bounded amount for it. */
void          _pp_node_client_update_reading (PpNodeClient      *client);
/* A failed "res" for a job that never reached the pool
 * (pp-node-client-results.c). */
void          _pp_node_client_send_failure   (PpNodeClient      *client,
                                              gint64             id,
                                              const char        *fmt,
                                              const char        *type,
                                              const char        *message,
                                              gboolean           undefined);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpNodeClient, _pp_node_client_unref)

G_END_DECLS
